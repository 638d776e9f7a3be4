package kube

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/gslbctl"
	"github.com/gslbdns/gslb/test/e2e/harness"
	"github.com/gslbdns/gslb/test/kubescenario"

	"github.com/miekg/dns"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const (
	probeLease    = "gslb-probes-site1"
	probeInterval = time.Second
	probeFall     = 3
	// probeWindow is how long the probes the demo sites receive are
	// counted: a measurement, long enough for a few intervals.
	probeWindow = 6 * time.Second
)

var siteAddrs = []string{"127.0.0.11", "127.0.0.12", "127.0.0.13"}

// pair is one pod of the site: a coredns-gslb and its gslb-syncer.
type pair struct {
	name string
	c    *harness.CoreDNS
	s    *harness.Syncer
}

// startPair starts a syncer named name, sharing the site's probes or
// not, pushing to c (a new coredns-gslb when nil); spec is the lab's
// source spec, more are further flags.
func startPair(t *testing.T, name, spec string, c *harness.CoreDNS, share bool, more ...string) *pair {
	t.Helper()
	if c == nil {
		c = harness.StartCoreDNS(t, corefmt, nil)
	}
	spec = strings.Replace(spec, "identity=syncer-a", "identity="+name, 1)
	args := append([]string{"--push", "unix://" + c.Sock}, more...)
	if share {
		spec += fmt.Sprintf("&probe-lease=%s/%s", kubescenario.PolicyNS, probeLease)
		args = append(args, "--health-listen", "127.0.0.1:0")
	}
	s := harness.StartSyncer(t, append([]string{"--source", spec}, args...)...)
	return &pair{name: name, c: c, s: s}
}

// probeHolder is the name of the probe Lease's holder ("" when none).
func (l *lab) probeHolder(t *testing.T) string {
	t.Helper()
	lease, err := l.cs["s1az1"].CoordinationV1().Leases(kubescenario.PolicyNS).Get(l.ctx, probeLease, metav1.GetOptions{})
	if apierrors.IsNotFound(err) || (err == nil && lease.Spec.HolderIdentity == nil) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	name, _, _ := strings.Cut(*lease.Spec.HolderIdentity, "@")
	return name
}

// roles waits until the pairs show one leader (the probe Lease's holder)
// and followers, and returns the leader.
func (l *lab) roles(t *testing.T, pairs []*pair) *pair {
	t.Helper()
	var leader *pair
	harness.Eventually(t, wait, func() error {
		holder := l.probeHolder(t)
		leader = nil
		for _, p := range pairs {
			want := "follower"
			if p.name == holder {
				want, leader = "leader", p
			}
			if !strings.Contains(p.s.Log(), `msg="serving metrics"`) {
				return fmt.Errorf("%s does not serve its metrics yet", p.name)
			}
			if v := metricValue(t, p.s.Process, fmt.Sprintf(`gslb_syncer_probe_role{role=%q}`, want)); v != "1" {
				return fmt.Errorf("%s is not %s (probe Lease held by %q)", p.name, want, holder)
			}
		}
		if leader == nil {
			return fmt.Errorf("the probe Lease is held by %q, none of the pairs", holder)
		}
		return nil
	})
	return leader
}

// pluginHealth is addr's health in hello as c serves it.
func pluginHealth(t *testing.T, ctx context.Context, c *harness.CoreDNS, addr string) gslbv1.Health {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, recs, err := gslbctl.Dump(ctx, c.TableClient())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range gslbctl.FindRecord(recs, hello).GetMembers() {
		if m.GetAddress() == addr {
			return m.GetHealth()
		}
	}
	return gslbv1.Health_HEALTH_UNKNOWN
}

// probesPerInterval counts the requests each demo site receives over
// probeWindow, per probe interval.
func probesPerInterval(sites *siteServers) map[string]float64 {
	before := map[string]int{}
	for _, a := range siteAddrs {
		before[a] = sites.requests(a)
	}
	<-time.After(probeWindow) // the measurement's window, not a synchronisation
	out := map[string]float64{}
	for _, a := range siteAddrs {
		out[a] = float64(sites.requests(a)-before[a]) / (float64(probeWindow) / float64(probeInterval))
	}
	return out
}

// expectProbers fails unless every demo site received about n probes per
// interval: n probers' (one site's when they share).
func expectProbers(t *testing.T, what string, n float64, got map[string]float64) {
	t.Helper()
	t.Logf("%s: probes per member per interval %v", what, got)
	for a, v := range got {
		// n per interval, give or take the window's edges.
		if v < n-0.4 || v > n+0.4 {
			t.Errorf("%s: %s received %.2f probes per interval, want %v", what, a, v, n)
		}
	}
}

// TestKubeSharedProbes: three coredns-gslb+gslb-syncer pairs of one site
// share the probes (probe-lease, --health-listen): each demo site receives
// one site's probes per interval, as with one pair alone, where three pairs
// that do not share send three; a stopped site leaves every plugin within interval × fall + 1 s,
// the followers' plugins within 1 s of the leader's; the probe leader
// killed, another takes the Lease and the probes go on within the lease
// duration (plus slack), still one site's.
func TestKubeSharedProbes(t *testing.T) {
	l := startLab(t, leaseSpec("syncer-a"))
	sites := startSites(t)
	l.waitSet(t, hello, dns.TypeA, 12, "127.0.0.11,127.0.0.12,127.0.0.13")
	l.patchPolicy(t, kubescenario.GDPName, fmt.Sprintf(`{"spec":{"healthCheck":{"type":"HTTP","port":%d,"path":"/","interval":"%s","timeout":"800ms","rise":2,"fall":%d}}}`,
		sites.port, probeInterval, probeFall))
	l.waitProbedUp(t, 3)
	l.settled(t) // the syncer took the patched policy: its 1 s check
	expectProbers(t, "one pair", 1, probesPerInterval(sites))

	// Two more pairs, not sharing: the count can tell three probers.
	spec := l.syncerArgs[1]
	plain := []*pair{startPair(t, "syncer-b", spec, nil, false), startPair(t, "syncer-c", spec, nil, false)}
	for _, p := range plain {
		p.c.WaitLoaded(wait)
		harness.Eventually(t, wait, func() error {
			if h := pluginHealth(t, l.ctx, p.c, "127.0.0.12"); h != gslbv1.Health_HEALTH_UP {
				return fmt.Errorf("%s's plugin: 127.0.0.12 %v", p.name, h)
			}
			return nil
		})
	}
	expectProbers(t, "three pairs, not sharing", 3, probesPerInterval(sites))

	// The three syncers give way to three that share, on the same plugins.
	l.s.Stop()
	for _, p := range plain {
		p.s.Stop()
	}
	pairs := []*pair{startPair(t, "syncer-a", spec, l.c, true), startPair(t, "syncer-b", spec, plain[0].c, true),
		startPair(t, "syncer-c", spec, plain[1].c, true)}
	leader := l.roles(t, pairs)
	for _, p := range pairs {
		harness.Eventually(t, wait, func() error {
			if h := pluginHealth(t, l.ctx, p.c, "127.0.0.12"); h != gslbv1.Health_HEALTH_UP {
				return fmt.Errorf("%s's plugin: 127.0.0.12 %v", p.name, h)
			}
			return nil
		})
	}
	expectProbers(t, "three pairs sharing", 1, probesPerInterval(sites))

	// A demo site stopped: every plugin drops it, the followers' within 1 s
	// of the leader's.
	dropped := stopAndTimeDrop(t, l.ctx, sites, pairs, "127.0.0.12")
	t.Logf("127.0.0.12 stopped: down in the plugins after %v (leader %s)", dropped, leader.name)
	for name, d := range dropped {
		if lag := d - dropped[leader.name]; lag > time.Second {
			t.Errorf("%s's plugin dropped it %v after the leader's, want within 1 s", name, lag)
		}
	}
	// The followers' own measure: from the leader's decision to their
	// plugin's acknowledgement of a table that shows it.
	for _, p := range pairs {
		if p == leader {
			continue
		}
		series := fmt.Sprintf(`gslb_syncer_event_to_ack_seconds_%%s{cause="health",target="unix://%s"}`, p.c.Sock)
		n, sum := metricValue(t, p.s.Process, fmt.Sprintf(series, "count")), metricValue(t, p.s.Process, fmt.Sprintf(series, "sum"))
		t.Logf("%s: leader's decision → its plugin's ack: %s s over %s tables", p.name, sum, n)
		if s, err := strconv.ParseFloat(sum, 64); n != "1" || err != nil || s > 1 {
			t.Errorf("%s: %s tables took %s s from the leader's decision to its plugin, want 1 within 1 s", p.name, n, sum)
		}
	}
	if err := sites.start("127.0.0.12"); err != nil {
		t.Fatal(err)
	}

	// The probe leader killed (its Lease not released): another takes it
	// and the probes go on, one site's.
	var rest []*pair
	for _, p := range pairs {
		if p != leader {
			rest = append(rest, p)
		}
	}
	before := sites.requests("127.0.0.11")
	killed := time.Now()
	leader.s.Kill()
	harness.Eventually(t, leaseDuration+handOverSlack, func() error {
		if h := l.probeHolder(t); h == leader.name || h == "" {
			return fmt.Errorf("the probe Lease is still held by %q", h)
		}
		if sites.requests("127.0.0.11") == before {
			return fmt.Errorf("no probe since the leader was killed")
		}
		return nil
	})
	t.Logf("probe leader killed: a new leader and probes again after %v (lease duration %v)", time.Since(killed).Round(100*time.Millisecond), leaseDuration)
	next := l.roles(t, rest)
	for _, p := range rest {
		harness.Eventually(t, wait, func() error {
			if h := pluginHealth(t, l.ctx, p.c, "127.0.0.12"); h != gslbv1.Health_HEALTH_UP {
				return fmt.Errorf("%s's plugin: the restarted 127.0.0.12 is %v", p.name, h)
			}
			return nil
		})
	}
	expectProbers(t, "two pairs sharing after the hand-over to "+next.name, 1, probesPerInterval(sites))
}

// stopAndTimeDrop stops the demo site addr and returns how long each pair's
// plugin took to mark it down; each must be within interval × fall + 1 s.
func stopAndTimeDrop(t *testing.T, ctx context.Context, sites *siteServers, pairs []*pair, addr string) map[string]time.Duration {
	t.Helper()
	stopped := time.Now()
	sites.stop(addr)
	dropped := map[string]time.Duration{}
	harness.Eventually(t, wait, func() error {
		for _, p := range pairs {
			if _, ok := dropped[p.name]; !ok && pluginHealth(t, ctx, p.c, addr) == gslbv1.Health_HEALTH_DOWN {
				dropped[p.name] = time.Since(stopped)
			}
		}
		if len(dropped) < len(pairs) {
			return fmt.Errorf("%s dropped by %v only", addr, dropped)
		}
		return nil
	})
	for name, d := range dropped {
		if bound := probeFall*probeInterval + time.Second; d > bound {
			t.Errorf("%s's plugin dropped the stopped %s after %v, want within interval × fall + 1 s = %v", name, addr, d, bound)
		}
	}
	return dropped
}
