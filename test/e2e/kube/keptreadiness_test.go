package kube

import (
	"fmt"
	"strings"
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/gslbctl"
	"github.com/gslbdns/gslb/test/e2e/harness"
	"github.com/gslbdns/gslb/test/k8senv"
	"github.com/gslbdns/gslb/test/kubescenario"

	"github.com/miekg/dns"
)

// TestKubeConfigOutageKeepsReadiness (issue 27): hello in s2 has no ready
// endpoint (127.0.0.13 DOWN by its source, though its site answers its
// probes) when the config cluster's apiserver is killed and the syncer
// restarted. The restarted syncer keeps the records from the plugin's table
// and probes their members; 127.0.0.13 stays DOWN with its source's reason
// (every round 6:4 for longer than rise × interval would take to bring it
// back), instead of coming back UP on passing probes.
func TestKubeConfigOutageKeepsReadiness(t *testing.T) {
	l := startLabGrace(t, 10*time.Minute, "members=s1az1,s1az2,s2&", func(l *lab) error { return l.env.WriteKubeconfig(l.kcfg, k8senv.NonAdmin) },
		"&startwait=5s")
	sites := startSites(t)
	l.waitSet(t, hello, dns.TypeA, 12, "127.0.0.11,127.0.0.12,127.0.0.13")
	l.patchPolicy(t, kubescenario.GDPName, fmt.Sprintf(`{"spec":{"healthCheck":{"type":"HTTP","port":%d,"path":"/","interval":"%s","timeout":"800ms","rise":2,"fall":%d}}}`,
		sites.port, probeInterval, probeFall))
	l.waitProbedUp(t, 3)
	must(t, kubescenario.SetReady(l.ctx, l.cs["s2"], kubescenario.AppNS, "hello", 0, 1))
	const why = "0/1 endpoints ready in service " + kubescenario.AppNS + "/hello"
	waitDownFor := func(t *testing.T) {
		t.Helper()
		harness.Eventually(t, wait, func() error {
			for _, m := range gslbctl.FindRecord(l.table(t), hello).GetMembers() {
				if m.GetAddress() == "127.0.0.13" && (m.GetHealth() != gslbv1.Health_HEALTH_DOWN || !strings.Contains(m.GetHealthReason(), why)) {
					return fmt.Errorf("127.0.0.13 is %v (%q) in the plugin, want DOWN (%q)", m.GetHealth(), m.GetHealthReason(), why)
				}
			}
			return nil
		})
	}
	waitDownFor(t)

	must(t, l.env.Cluster("s1az1").Stop())
	l.waitStaleMember(t, "s1az1")
	l.restartSyncer()
	l.waitLog(t, `msg=applied.*kind=FULL`)
	l.exactRoundsOf(t, 3*probeInterval+2*time.Second, map[string]int{kubescenario.LBAddress["s1az1"]: 6, kubescenario.LBAddress["s1az2"]: 4})
	waitDownFor(t)
}
