package kube

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"
	"github.com/gslbdns/gslb/test/e2e/harness"
	"github.com/gslbdns/gslb/test/kubescenario"

	"github.com/miekg/dns"
)

// topologyPatch switches the scenario's policy to Topology: s1az1 and s1az2
// are SITE1 (clients 127.100.1.0/24), s2 is SITE2 (127.100.2.0/24).
const topologyPatch = `{"spec":{"algorithm":"Topology","routing":{"siteOrder":["SITE1","SITE2"],"sites":[
 {"name":"SITE1","clusters":["s1az1","s1az2"],"clients":["127.100.1.0/24"]},
 {"name":"SITE2","clusters":["s2"],"clients":["127.100.2.0/24"]}]}}}`

// answersFrom returns the set of hello's answers to n queries sent from a
// client address (the source address is the client: no ECS).
func (l *lab) answersFrom(client string, n int) (map[string]int, error) {
	c := &dns.Client{Timeout: 2 * time.Second, Dialer: &net.Dialer{LocalAddr: &net.UDPAddr{IP: net.ParseIP(client)}}}
	seen := map[string]int{}
	for range n {
		m := new(dns.Msg)
		m.SetQuestion(hello, dns.TypeA)
		r, _, err := c.Exchange(m, l.c.Addr)
		if err != nil {
			return nil, err
		}
		for _, rr := range r.Answer {
			if a, ok := rr.(*dns.A); ok {
				seen[a.A.String()]++
			}
		}
	}
	return seen, nil
}

func (l *lab) waitFrom(t *testing.T, client, want string) {
	t.Helper()
	harness.Eventually(t, wait, func() error {
		seen, err := l.answersFrom(client, 12)
		if err != nil {
			return err
		}
		if got := keys(seen); got != want {
			return fmt.Errorf("from %s: %q, want %q", client, got, want)
		}
		return nil
	})
}

// TestKubeTopologyLive switches the scenario's policy from WRR to Topology
// and back on the real apiserver while everything runs: each client network
// gets its site's members, then every client the 6:4:2 split again. An
// invalid routing is refused with the reason InvalidRouting.
func TestKubeTopologyLive(t *testing.T) {
	l := startLab(t, "")
	l.expectSplit(t, [3]int32{6, 4, 2})

	l.patchPolicy(t, kubescenario.GDPName, topologyPatch)
	l.waitFrom(t, "127.100.1.10", "127.0.0.11,127.0.0.12")
	l.waitFrom(t, "127.100.2.10", "127.0.0.13")
	l.waitFrom(t, "127.100.9.10", "127.0.0.11,127.0.0.12") // no site: the order's SITE1

	// A CIDR with host bits: the policy is refused, with the reason.
	l.patchPolicy(t, kubescenario.GDPName, `{"spec":{"routing":{"sites":[{"name":"SITE1","clusters":["s1az1","s1az2"],"clients":["127.100.1.1/24"]},{"name":"SITE2","clusters":["s2"],"clients":["127.100.2.0/24"]}]}}}`)
	harness.Eventually(t, wait, func() error {
		c := cond(l.policy(t, kubescenario.GDPName), "Accepted")
		if c.Status != "False" || c.Reason != v1alpha1.ReasonInvalidRouting {
			return fmt.Errorf("Accepted %+v, want False InvalidRouting", c)
		}
		return nil
	})

	// Back to WRR (the routing stays, unused): 6:4:2 for everyone.
	l.patchPolicy(t, kubescenario.GDPName, `{"spec":{"algorithm":"WRR","routing":null}}`)
	l.expectSplit(t, [3]int32{6, 4, 2})
	l.waitFrom(t, "127.100.2.10", "127.0.0.11,127.0.0.12,127.0.0.13")
}
