package kube

import (
	"fmt"
	"slices"
	"strconv"
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

// TestKubeConfigOutageProbes (issue 12): the config cluster's apiserver
// killed and gslb-syncer restarted while coredns-gslb keeps serving. The
// restarted syncer has no policy, only the plugin's table, whose members
// carry their health checks: it probes them with those, so a demo site
// stopped during the outage leaves within interval × fall + 1 s (every
// round exact, never NXDOMAIN or SERVFAIL), and returns when it is back.
// Before the table carried the checks, the restarted syncer probed nothing
// and served the dead site until the config cluster returned. Restarted
// again (start-up wait 60 s) after a site died while it was down, it has
// the site out of the plugin's table within restartedProbesAt.
func TestKubeConfigOutageProbes(t *testing.T) {
	l, sites := startProbedLab(t)
	l.expectCarriedChecks(t, sites.port)

	config := l.env.Cluster("s1az1")
	must(t, config.Stop())
	l.waitStaleMember(t, "s1az1")
	l.restartSyncer()
	l.waitLog(t, `msg="keeping what the syncer cannot see now" .*owner=config`)
	l.waitLog(t, `msg=applied.*kind=FULL`)
	l.exactRounds(t, 3*time.Second)
	if out := l.gslbctlTable(t); strings.Count(out, "probed: http GET / on port "+strconv.Itoa(sites.port)) != 3 {
		t.Errorf("gslbctl table does not show hello's three members' checks:\n%s", out)
	}

	t.Run("a demo site stopped leaves", func(t *testing.T) {
		stopped := time.Now()
		sites.stop("127.0.0.12")
		harness.Eventually(t, wait, func() error {
			if h := pluginHealth(t, l.ctx, l.c, "127.0.0.12"); h != gslbv1.Health_HEALTH_DOWN {
				return fmt.Errorf("the stopped 127.0.0.12 is %v", h)
			}
			return nil
		})
		d := time.Since(stopped)
		l.waitLog(t, `msg="probe state seeded from a plugin's table" .*probed=3`)
		t.Logf("config cluster down, syncer restarted, 127.0.0.12 stopped: down in the plugin after %v", d.Round(10*time.Millisecond))
		if bound := probeFall*probeInterval + time.Second; d > bound {
			t.Errorf("the plugin dropped the stopped site after %v, want within interval × fall + 1 s = %v", d, bound)
		}
		l.exactRoundsOf(t, 5*time.Second, map[string]int{kubescenario.LBAddress["s1az1"]: 6, kubescenario.LBAddress["s2"]: 2})
	})

	t.Run("the demo site back returns", func(t *testing.T) {
		must(t, sites.start("127.0.0.12"))
		l.waitProbedUp(t, 3)
		l.exactRounds(t, 5*time.Second)
		if st := gslbctl.FindRecord(l.table(t), hello).GetStale(); st == nil {
			t.Error("hello is no longer marked stale: the config cluster is still down")
		}
	})

	t.Run("a syncer restarted after a site died probes before its start-up wait", func(t *testing.T) {
		testRestartedProbesAtOnce(t, l, sites)
	})
}

// startProbedLab starts the lab for a config outage with hello's members
// probed (HTTP on the demo sites, interval probeInterval, fall probeFall)
// and up; a grace of 10 minutes, since s1az1 is a member too and its
// member must stay for the outage.
func startProbedLab(t *testing.T) (*lab, *siteServers) {
	t.Helper()
	l := startLabGrace(t, 10*time.Minute, "members=s1az1,s1az2,s2&", func(l *lab) error { return l.env.WriteKubeconfig(l.kcfg, k8senv.NonAdmin) },
		"&startwait=5s")
	sites := startSites(t)
	l.waitSet(t, hello, dns.TypeA, 12, "127.0.0.11,127.0.0.12,127.0.0.13")
	l.patchPolicy(t, kubescenario.GDPName, fmt.Sprintf(`{"spec":{"healthCheck":{"type":"HTTP","port":%d,"path":"/","interval":"%s","timeout":"800ms","rise":2,"fall":%d}}}`,
		sites.port, probeInterval, probeFall))
	l.waitProbedUp(t, 3)
	return l, sites
}

// restartedProbesAt is how soon after its start a syncer restarted during
// the outage (start-up wait 60 s) has a member that died while it was down
// out of the plugin's table: the seed read (well under seedTimeout, 2 s),
// the early wait (2 s), interval × fall, and 1 s of slack.
const restartedProbesAt = 2*time.Second + 2*time.Second + probeFall*probeInterval + time.Second

// A syncer restarted during the outage, after a site died while it was
// down (the plugin still serves that member UP), probes the kept members at
// once and pushes their health before its start-up wait ends.
func testRestartedProbesAtOnce(t *testing.T, l *lab, sites *siteServers) {
	l.s.Stop()
	sites.stop("127.0.0.12")
	args := slices.Clone(l.syncerArgs)
	args[1] = strings.Replace(args[1], "startwait=5s", "startwait=60s", 1)
	started := time.Now()
	l.s = harness.StartSyncer(l.t, args...)
	harness.Eventually(t, wait, func() error {
		if h := pluginHealth(t, l.ctx, l.c, "127.0.0.12"); h != gslbv1.Health_HEALTH_DOWN {
			return fmt.Errorf("127.0.0.12, stopped while the syncer was down, is %v in the plugin", h)
		}
		return nil
	})
	d := time.Since(started)
	t.Logf("syncer restarted (start-up wait 60 s) after 127.0.0.12 died: down in the plugin after %v", d.Round(10*time.Millisecond))
	if d > restartedProbesAt {
		t.Errorf("the plugin dropped the dead site %v after the syncer's restart, want within %v", d, restartedProbesAt)
	}
	l.exactRoundsOf(t, 3*time.Second, map[string]int{kubescenario.LBAddress["s1az1"]: 6, kubescenario.LBAddress["s2"]: 2})
}

// expectCarriedChecks checks that every member of hello carries the
// policy's check in the plugin's table.
func (l *lab) expectCarriedChecks(t *testing.T, port int) {
	t.Helper()
	for _, m := range gslbctl.FindRecord(l.table(t), hello).GetMembers() {
		c := m.GetCheck()
		if c.GetType() != gslbv1.CheckType_CHECK_TYPE_HTTP || c.GetPort() != uint32(port) || c.GetIntervalMs() != uint32(probeInterval.Milliseconds()) || c.GetFall() != probeFall {
			t.Errorf("hello's member %s carries the check %v, want the policy's (HTTP, port %d, interval %v, fall %d)", m.GetAddress(), c, port, probeInterval, probeFall)
		}
	}
}

// TestKubeConfigOutageKeepsReadiness (issue 27): hello in s2 has no ready
// endpoint (127.0.0.13 DOWN by its source, though its site answers its
// probes) when the config cluster's apiserver is killed and the syncer
// restarted. The restarted syncer keeps the records from the plugin's table
// and probes their members; 127.0.0.13 stays DOWN with its source's reason
// (every round 6:4 for longer than rise × interval would take to bring it
// back), instead of coming back UP on passing probes.
func TestKubeConfigOutageKeepsReadiness(t *testing.T) {
	l, _ := startProbedLab(t)
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
