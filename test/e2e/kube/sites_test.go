package kube

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gslbdns/gslb/syncer/gslbctl"
	"github.com/gslbdns/gslb/test/e2e/harness"
	"github.com/gslbdns/gslb/test/kubescenario"

	"github.com/miekg/dns"
)

// loadSlack is what a bound of the form "within interval × fall + 1 s"
// allows on top for a loaded 2-core machine (test/e2e/README.md).
const loadSlack = 3 * time.Second

// TestKubeSites is the whole system as deployed for the day a site is lost
// (issue 12): two sites' DNS (A: two nodes, B: one), each node a
// coredns-gslb with its gslb-syncer, on three real apiservers, behind a
// real BIND that delegates avi.iberia.local to both sites. It starts with
// one node for a baseline, then:
//   - every node answers exactly 600/400/200 of 1,200; BIND resolves hello;
//   - a demo site stopped: every node drops it within interval × fall + 1 s
//     (plus load slack); the policy's status is written as often as with the
//     one-syncer baseline (only the Lease holder writes) and does not flap
//     afterwards; the probes each member receives per interval are counted;
//   - the leader killed: another syncer holds the Lease within its duration;
//   - the config apiserver killed and every syncer restarted: every node
//     keeps its exact 6:4:2, never an error or NXDOMAIN; the apiserver
//     back, a policy edit is in every node's table within 2 s (+1 s slack);
//   - site A's coredns-gslb processes killed: BIND resolves hello through B.
func TestKubeSites(t *testing.T) {
	l := startSitesLab(t)
	all3 := "127.0.0.11,127.0.0.12,127.0.0.13"
	stopped := kubescenario.LBAddress["s1az2"]

	a1 := l.startNode(t, "a1")
	l.waitHolder(t, "a1", wait)
	l.waitServes(t, all3)
	l.settled(t)
	baseline := l.quiet(t, "one syncer")
	alone, _ := l.cleanCycle(t, stopped, all3)
	if alone < 2 {
		t.Fatalf("%d status writes over a stop/start cycle with one syncer, want at least 2 (down, up)", alone)
	}

	for _, n := range []string{"a2", "b1"} {
		s := l.startNode(t, n).syncer
		waitMetric(t, s.Process, "gslb_syncer_kube_status_writer", "0")
	}
	l.waitServes(t, all3)

	t.Run("every node answers exactly 600/400/200 of 1,200", func(t *testing.T) {
		for _, name := range []string{"a1", "a2", "b1"} {
			l.exactSplit(t, l.nodes[name])
		}
	})
	t.Run("BIND resolves hello through the delegation", func(t *testing.T) { l.resolves(t, 5) })

	t.Run("a demo site stopped: every node drops it, one status writer", func(t *testing.T) {
		three, drops := l.cleanCycle(t, stopped, all3)
		bound := healthPeriod*healthFall + time.Second
		for name, d := range drops {
			t.Logf("node %s dropped %s %v after it stopped (interval × fall + 1 s = %v)", name, stopped, d.Round(10*time.Millisecond), bound)
			if d > bound+loadSlack {
				t.Errorf("node %s dropped %s %v after it stopped, want within %v (+ %v load slack)", name, stopped, d, bound, loadSlack)
			}
		}
		t.Logf("status writes over a stop/start cycle: %d with one syncer, %d with three", alone, three)
		if three != alone {
			t.Errorf("%d status writes over a cycle with three syncers, %d with one: want the same (one writer)", three, alone)
		}
		three3 := l.quiet(t, "three syncers")
		t.Logf("probes per member per %v interval: %.2f with one syncer, %.2f with three", healthPeriod, baseline, three3)
	})

	t.Run("the leader killed: another takes over within the lease duration", func(t *testing.T) {
		killed := time.Now()
		a1.syncer.Kill()
		harness.Eventually(t, leaseDuration+handOverSlack, func() error {
			if h := l.holder(t); h != "a2" && h != "b1" {
				return fmt.Errorf("lease held by %q", h)
			}
			return nil
		})
		t.Logf("hand-over after the leader was killed: %v (lease duration %v)", time.Since(killed).Round(100*time.Millisecond), leaseDuration)
		a1.syncer = harness.StartSyncer(t, a1.args...)
		l.waitServes(t, all3)
	})

	t.Run("config apiserver killed, every syncer restarted: exact 6:4:2 everywhere; back, an edit everywhere within 2 s", func(t *testing.T) {
		must(t, l.env.Cluster("s1az1").Stop())
		for _, n := range l.nodes {
			n.restartSyncer(t)
		}
		l.everyNodeExact(t, 20*time.Second)
		kept := regexp.MustCompile(`msg="keeping what the syncer cannot see now" .*owner=config .*reason="config cluster not synced`)
		for _, n := range l.nodes {
			if log := n.syncer.Log(); !kept.MatchString(log) || !strings.Contains(log, "kind=FULL") {
				t.Errorf("node %s: the restarted syncer did not keep the config cluster's records and push them:\n%s", n.name, n.syncer.Tail(30))
			}
			if m := regexp.MustCompile(`records=0\b|deletes=[1-9]`).FindString(n.syncer.Log()); m != "" {
				t.Errorf("node %s: the restarted syncer pushed a table that lost records (%s):\n%s", n.name, m, n.syncer.Tail(30))
			}
		}
		// Back: the restarted syncers (their processes end with this
		// subtest) see it within configResume.
		must(t, l.env.Cluster("s1az1").Restart()) // returns once the apiserver is ready
		ready := time.Now()
		l.patchPolicy(t, kubescenario.GDPName, `{"spec":{"trafficSplit":[{"cluster":"s1az1","weight":6},{"cluster":"s1az2","weight":3},{"cluster":"s2","weight":1}]}}`)
		harness.Eventually(t, configResume, func() error {
			for _, n := range l.nodes {
				_, recs, err := gslbctl.Dump(l.ctx, n.table)
				if err != nil {
					return fmt.Errorf("node %s: %v", n.name, err)
				}
				if w := memberWeights(gslbctl.FindRecord(recs, hello)); w != "6,3,1" {
					return fmt.Errorf("node %s: hello's weights %s, want 6,3,1", n.name, w)
				}
			}
			return nil
		})
		t.Logf("the edit reached every node's table %v after the config apiserver was ready", time.Since(ready).Round(time.Millisecond))
	})

	t.Run("site A's coredns-gslb killed: BIND resolves hello through site B", func(t *testing.T) {
		before := l.answersOf(t, l.nodes["b1"])
		for _, n := range []string{"a1", "a2"} {
			l.nodes[n].dns.Kill()
		}
		l.resolves(t, 60) // 6 s: BIND fetches hello (TTL 2) again at least twice
		if got := l.answersOf(t, l.nodes["b1"]) - before; got < 2 {
			t.Errorf("site B answered hello %d times while BIND resolved it for three TTLs, want at least 2", got)
		}
	})
}

// cleanTries is how often a measurement disturbed by a flap is tried.
const cleanTries = 3

// flaps counts the times the running syncers saw a member apiserver
// unreachable. On a loaded machine one /readyz slower than 2 s is enough;
// the leader then writes the clusters' state into the status, and every
// syncer pushes the members marked stale. A measurement of status writes
// or table changes during a flap is repeated.
func (l *sitesLab) flaps() int {
	n := 0
	for _, node := range l.nodes {
		n += strings.Count(node.syncer.Log(), `msg="member cluster unreachable`)
	}
	return n
}

// cleanCycle is cycleSite counting the policy's status writes, repeated
// when a flap disturbed it.
func (l *sitesLab) cleanCycle(tb testing.TB, addr, all string) (writes int, drops map[string]time.Duration) {
	tb.Helper()
	for try := 1; ; try++ {
		f := l.flaps()
		writes = l.statusWrites(tb, func() { drops = l.cycleSite(tb, addr, all) })
		if l.flaps() == f {
			return writes, drops
		}
		if try == cleanTries {
			tb.Fatalf("a member apiserver was seen unreachable during each of %d stop/start cycles", cleanTries)
		}
		tb.Logf("a member apiserver was seen unreachable during the cycle (%d status writes): once more", writes)
	}
}

// cycleSite stops the demo site addr and starts it again; it returns how
// long after the stop each node stopped answering it. Each step is seen
// by every node and in the policy's status.
func (l *sitesLab) cycleSite(tb testing.TB, addr, all string) map[string]time.Duration {
	tb.Helper()
	l.demo.stop(addr)
	stopped := time.Now()
	drops := l.dropTimes(tb, addr, stopped)
	var rest []string
	for a := range strings.SplitSeq(all, ",") {
		if a != addr {
			rest = append(rest, a)
		}
	}
	l.waitServes(tb, strings.Join(rest, ","))
	l.waitUnhealthy(tb, hello, addr, "refused")
	if err := l.demo.start(addr); err != nil {
		tb.Fatal(err)
	}
	l.waitServes(tb, all)
	l.waitUnhealthy(tb, hello, addr, "")
	l.settled(tb)
	return drops
}

// dropTimes polls every node in turn, a round each, until no node's round
// holds addr; it returns when each node's first round without it began,
// counted from since.
func (l *sitesLab) dropTimes(tb testing.TB, addr string, since time.Time) map[string]time.Duration {
	tb.Helper()
	drops := map[string]time.Duration{}
	harness.Eventually(tb, wait, func() error {
		for name, n := range l.nodes {
			if _, done := drops[name]; done {
				continue
			}
			began := time.Since(since)
			c, err := n.round()
			if err != nil {
				return err
			}
			if c[addr] == 0 {
				drops[name] = began
			}
		}
		if len(drops) < len(l.nodes) {
			return fmt.Errorf("%d of %d nodes dropped %s", len(drops), len(l.nodes), addr)
		}
		return nil
	})
	return drops
}

// quietIntervals is the length of a quiet window in health-check periods.
const quietIntervals = 8

// quiet watches a quiet window: nothing changes, so the policy is not
// written (its status does not flap) and no node's table changes. It
// returns the probes each member received per health-check period, and
// checks them against wantProbesPerInterval.
func (l *sitesLab) quiet(tb testing.TB, what string) float64 {
	tb.Helper()
	var got float64
	for try := 1; ; try++ {
		f := l.flaps()
		var changes []string
		got, changes = l.quietWindow(tb)
		if l.flaps() == f {
			for _, c := range changes {
				tb.Errorf("%s: %s during a quiet window", what, c)
			}
			break
		}
		if try == cleanTries {
			tb.Fatalf("%s: a member apiserver was seen unreachable during each of %d quiet windows", what, cleanTries)
		}
		tb.Logf("%s: a member apiserver was seen unreachable during the quiet window (%v): once more", what, changes)
	}
	want := wantProbesPerInterval(l.nodes)
	tb.Logf("%s: %.2f probes per member per %v interval over %d intervals (want %.0f)", what, got, healthPeriod, quietIntervals, want)
	// A probe lost to the load (its scheduler late by a whole interval)
	// only lowers the count.
	if got <= want-1 || got > want+0.5 {
		tb.Errorf("%s: %.2f probes per member per interval, want %.0f (more than %.0f, at most %.1f)", what, got, want, want-1, want+0.5)
	}
	return got
}

// quietWindow counts the probes per member per interval over
// quietIntervals, and returns what changed meanwhile: the policy (its
// status flaps) or a node's table.
func (l *sitesLab) quietWindow(tb testing.TB) (probes float64, changes []string) {
	tb.Helper()
	rv := l.policy(tb, kubescenario.GDPName).ResourceVersion
	versions := map[string]uint32{}
	for name, n := range l.nodes {
		v, err := n.version()
		if err != nil {
			tb.Fatal(err)
		}
		versions[name] = v
	}
	done := l.syncerProbes(tb)
	probes = l.demo.probesPerInterval(quietIntervals)
	tb.Logf("the syncers completed %.2f probes per member per interval meanwhile (their gslb_syncer_health_probes_total)",
		(l.syncerProbes(tb)-done)/float64(len(kubescenario.LBAddress)*quietIntervals))
	if after := l.policy(tb, kubescenario.GDPName).ResourceVersion; after != rv {
		changes = append(changes, fmt.Sprintf("the policy was written (resourceVersion %s -> %s)", rv, after))
	}
	for name, n := range l.nodes {
		if v, err := n.version(); err != nil || v != versions[name] {
			changes = append(changes, fmt.Sprintf("node %s's table changed (version %d -> %d, %v)", name, versions[name], v, err))
		}
	}
	return probes, changes
}

// syncerProbes sums the probes the running syncers completed.
func (l *sitesLab) syncerProbes(tb testing.TB) float64 {
	tb.Helper()
	var sum float64
	for _, n := range l.nodes {
		for _, r := range []string{"ok", "fail"} {
			v, err := strconv.ParseFloat(metricValue(tb, n.syncer.Process, `gslb_syncer_health_probes_total{result="`+r+`",type="http"}`), 64)
			if err == nil {
				sum += v
			}
		}
	}
	return sum
}

// exactSplit asks the node for hello 1,200 times: exactly 600/400/200, TTL
// 2. A run during which the node's table changed (a health transition
// restarts the WRR schedule) is tried again.
func (l *sitesLab) exactSplit(tb testing.TB, n *dnsNode) {
	tb.Helper()
	want := map[string]int{kubescenario.LBAddress["s1az1"]: 600, kubescenario.LBAddress["s1az2"]: 400, kubescenario.LBAddress["s2"]: 200}
	harness.Eventually(tb, wait, func() error {
		v0, err := n.version()
		if err != nil {
			return err
		}
		counts := map[string]int{}
		for range 100 {
			c, err := n.round()
			if err != nil {
				return harness.Permanent(err)
			}
			for a, k := range c {
				counts[a] += k
			}
		}
		if v1, err := n.version(); err != nil || v1 != v0 {
			return fmt.Errorf("node %s: the table changed during the run (version %d -> %d, %v)", n.name, v0, v1, err)
		}
		if keys(counts) != keys(want) || counts[kubescenario.LBAddress["s1az1"]] != 600 || counts[kubescenario.LBAddress["s1az2"]] != 400 {
			return harness.Permanent(fmt.Errorf("node %s: %v of 1,200, want exactly %v", n.name, counts, want))
		}
		return nil
	})
	r := n.client.Query(tb, hello, dns.TypeA)
	if _, ttl, err := harness.OneA(r); err != nil || ttl != 2 {
		tb.Errorf("node %s: %s, want one A with TTL 2", n.name, harness.Brief(r))
	}
}

// everyNodeExact queries every node in rounds of 12 for d: every answer
// NOERROR with one A, every round exactly 6:4:2 except one during which
// the node's table changed (a push restarts the WRR schedule), whose
// answers must still be hello's members; a few such rounds at most.
func (l *sitesLab) everyNodeExact(tb testing.TB, d time.Duration) {
	tb.Helper()
	want := map[string]int{kubescenario.LBAddress["s1az1"]: 6, kubescenario.LBAddress["s1az2"]: 4, kubescenario.LBAddress["s2"]: 2}
	rounds, changed := 0, map[string]int{}
	for end := time.Now().Add(d); time.Now().Before(end); rounds++ {
		for name, n := range l.nodes {
			v0, err := n.version()
			if err != nil {
				tb.Fatal(err)
			}
			c, err := n.round()
			if err != nil {
				tb.Fatalf("round %d: %v", rounds, err)
			}
			for a := range c {
				if _, ok := want[a]; !ok {
					tb.Fatalf("round %d: node %s answered %s, not a member of hello (%v)", rounds, name, a, c)
				}
			}
			if c[kubescenario.LBAddress["s1az1"]] == 6 && c[kubescenario.LBAddress["s1az2"]] == 4 && c[kubescenario.LBAddress["s2"]] == 2 {
				continue
			}
			if v, err := n.version(); err != nil || v == v0 {
				tb.Fatalf("round %d: node %s answered %v, want exactly %v (the table did not change meanwhile)", rounds, name, c, want)
			}
			changed[name]++
		}
	}
	tb.Logf("%d rounds of 12 on each of %d nodes over %v: exact 6:4:2 except %v during a table change", rounds, len(l.nodes), d, changed)
	for name, k := range changed {
		if k > 3 {
			tb.Errorf("node %s: %d rounds saw a table change, want a few at most", name, k)
		}
	}
}
