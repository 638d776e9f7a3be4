package kube

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"
	"github.com/gslbdns/gslb/test/e2e/harness"
	"github.com/gslbdns/gslb/test/kubescenario"

	"github.com/miekg/dns"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// waitSynced waits until the policy's Synced condition has status, reason
// and a message that contains each of parts.
func (l *lab) waitSynced(t *testing.T, status metav1.ConditionStatus, reason string, parts ...string) {
	t.Helper()
	harness.Eventually(t, wait, func() error {
		c := cond(l.policy(t, kubescenario.GDPName), v1alpha1.ConditionSynced)
		if c.Status != status || c.Reason != reason {
			return fmt.Errorf("Synced %+v, want %s %s", c, status, reason)
		}
		for _, p := range parts {
			if !strings.Contains(c.Message, p) {
				return fmt.Errorf("Synced message %q, want it to contain %q", c.Message, p)
			}
		}
		return nil
	})
}

// TestKubeStatusAcks: the policy's Synced condition says what the name
// servers acknowledged. With one coredns-gslb, acknowledged by 1 of 1. With
// a second target whose coredns-gslb is stopped, not Synced: 1 of 2, and
// the one that did not acknowledge is named. Once it runs again (the
// pusher reconnects and pushes the whole table), Synced: 2 of 2.
func TestKubeStatusAcks(t *testing.T) {
	l := startLab(t, "")
	l.waitSynced(t, metav1.ConditionTrue, v1alpha1.ReasonAcknowledged, "acknowledged by 1 of 1 name servers")

	c2 := harness.StartCoreDNS(t, corefmt, nil)
	c2.Stop()
	l.syncerArgs = append(l.syncerArgs, "--push", "unix://"+c2.Sock)
	l.restartSyncer()
	l.waitSynced(t, metav1.ConditionFalse, v1alpha1.ReasonNotAcknowledged, "acknowledged by 1 of 2 name servers", "not by unix://"+c2.Sock)
	l.waitSet(t, hello, dns.TypeA, 12, "127.0.0.11,127.0.0.12,127.0.0.13") // the running one serves meanwhile

	c2.Restart()
	c2.WaitLoaded(wait)
	l.waitSynced(t, metav1.ConditionTrue, v1alpha1.ReasonAcknowledged, "acknowledged by 2 of 2 name servers")
}
