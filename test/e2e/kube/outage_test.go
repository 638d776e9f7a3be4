package kube

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"slices"
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

// corefmtPersist is corefmt with the table persisted for restarts.
var corefmtPersist = strings.Replace(corefmt, "        listen unix", "        persist {{.Persist}}\n        listen unix", 1)

// roundsFor is how long the outage tests query in rounds: the issue asks
// for 2 minutes; 25 s covers the syncer's start-up wait, its first push and
// many rounds after it.
const roundsFor = 25 * time.Second

// restartSyncer stops the syncer (SIGTERM) and starts it again on the same
// command line.
func (l *lab) restartSyncer() {
	l.t.Helper()
	l.s.Stop()
	l.s = harness.StartSyncer(l.t, l.syncerArgs...)
}

// waitLog waits until the syncer's log matches re.
func (l *lab) waitLog(t *testing.T, re string) {
	t.Helper()
	rx := regexp.MustCompile(re)
	harness.Eventually(t, wait, func() error {
		if !rx.MatchString(l.s.Log()) {
			return fmt.Errorf("the syncer has not logged %q", re)
		}
		return nil
	})
}

// table reads the plugin's table.
func (l *lab) table(t *testing.T) []*gslbv1.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(l.ctx, 10*time.Second)
	defer cancel()
	_, recs, err := gslbctl.Dump(ctx, l.c.TableClient())
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// waitStaleMember waits until the plugin serves hello's member of cluster
// marked stale.
func (l *lab) waitStaleMember(t *testing.T, cluster string) *gslbv1.Stale {
	t.Helper()
	var st *gslbv1.Stale
	harness.Eventually(t, wait, func() error {
		ms := gslbctl.FindRecord(l.table(t), hello).GetMembers()
		if len(ms) != 3 {
			return fmt.Errorf("hello has %d members", len(ms))
		}
		for _, m := range ms {
			if m.GetCluster() == cluster && m.GetStale() != nil {
				st = m.GetStale()
				return nil
			}
		}
		return fmt.Errorf("hello's member of %s is not marked stale", cluster)
	})
	return st
}

// waitProbedUp waits until hello's n members are probed up: each first
// result is a table change, which restarts the WRR schedule that
// expectSplit counts.
func (l *lab) waitProbedUp(t *testing.T, n int) {
	t.Helper()
	waitMembersUp(t, func() []*gslbv1.Record { return l.table(t) }, n)
}

// waitMembersUp waits until the table dump returns has n members for
// hello, every one probed up.
func waitMembersUp(t *testing.T, dump func() []*gslbv1.Record, n int) {
	t.Helper()
	harness.Eventually(t, wait, func() error {
		ms := gslbctl.FindRecord(dump(), hello).GetMembers()
		if len(ms) != n {
			return fmt.Errorf("hello has %d members, want %d", len(ms), n)
		}
		for _, m := range ms {
			if m.GetHealth() != gslbv1.Health_HEALTH_UP {
				return fmt.Errorf("member %s %v", m.GetAddress(), m.GetHealth())
			}
		}
		return nil
	})
}

// exactRounds queries hello in rounds of 12 for d: every answer NOERROR
// with one A record, and every round exactly 6:4:2, except a round during
// which the table changed (a record replaced restarts its WRR schedule):
// then its answers must still be hello's three members. It returns the
// rounds and those changed rounds.
func (l *lab) exactRounds(t *testing.T, d time.Duration) (rounds, changed int) {
	t.Helper()
	return l.exactRoundsOf(t, d, map[string]int{kubescenario.LBAddress["s1az1"]: 6, kubescenario.LBAddress["s1az2"]: 4, kubescenario.LBAddress["s2"]: 2})
}

// exactRoundsOf is exactRounds with the counts of a round: want (address →
// answers), in rounds of their sum.
func (l *lab) exactRoundsOf(t *testing.T, d time.Duration, want map[string]int) (rounds, changed int) {
	t.Helper()
	size := 0
	for _, n := range want {
		size += n
	}
	version := func() uint32 {
		st, err := l.c.Status()
		if err != nil {
			t.Fatalf("round %d: plugin status: %v", rounds, err)
		}
		return st.GetVersion()
	}
	for end := time.Now().Add(d); time.Now().Before(end); rounds++ {
		before := version()
		counts := map[string]int{}
		for q := range size {
			r, err := l.dns.Exchange(hello, dns.TypeA)
			if err != nil {
				t.Fatalf("round %d query %d: %v", rounds, q, err)
			}
			if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
				t.Fatalf("round %d query %d: %s", rounds, q, harness.Brief(r))
			}
			a, ok := r.Answer[0].(*dns.A)
			if !ok {
				t.Fatalf("round %d query %d: %s", rounds, q, harness.Brief(r))
			}
			counts[a.A.String()]++
		}
		exact := len(counts) == len(want)
		for k, n := range counts {
			exact = exact && want[k] == n
			if _, ok := want[k]; !ok {
				t.Fatalf("round %d: answered %s, not one of the members wanted (%v)", rounds, k, counts)
			}
		}
		if exact {
			continue
		}
		if version() == before {
			t.Fatalf("round %d: %v, want exactly %v (the table did not change meanwhile)", rounds, counts, want)
		}
		changed++
	}
	t.Logf("%d rounds of %d over %v exact %v; %d more during a table change", rounds-changed, size, d, want, changed)
	if changed > 3 {
		t.Errorf("%d rounds saw a table change, want a few at most", changed)
	}
	return rounds, changed
}

// gslbctlTable runs `gslbctl table` against the plugin.
func (l *lab) gslbctlTable(t *testing.T) string {
	t.Helper()
	out, err := exec.Command(harness.Bin(t, "gslbctl"), "table", "--api", "unix://"+l.c.Sock).CombinedOutput()
	if err != nil {
		t.Fatalf("gslbctl table: %v\n%s", err, out)
	}
	return string(out)
}

// TestKubeConfigOutage: the config cluster's apiserver is down and the
// syncer restarts (then coredns-gslb too, from its persist file): the
// syncer keeps the records the plugin served, marked stale, and hello
// keeps its exact split, never NXDOMAIN; when the apiserver is back the
// policies apply again.
func TestKubeConfigOutage(t *testing.T) {
	// grace is long: s1az1 is a member too, and its members must stay for
	// the whole outage.
	l := startLabCorefile(t, "members=s1az1,s1az2,s2&", func(l *lab) error { return l.env.WriteKubeconfig(l.kcfg, k8senv.NonAdmin) },
		"&grace=10m&startwait=5s&metrics=127.0.0.1:0", corefmtPersist)
	l.expectSplit(t, [3]int32{6, 4, 2})
	config := l.env.Cluster("s1az1")
	must(t, config.Stop())
	l.waitStaleMember(t, "s1az1")

	t.Run("syncer restarted: the records are kept, exact 6:4:2", func(t *testing.T) {
		l.restartSyncer()
		l.exactRounds(t, roundsFor)
		log := l.s.Log()
		for _, want := range []string{`msg="keeping what the syncer cannot see now" .*owner=config records=1 .*reason="config cluster not synced`, "kind=FULL"} {
			if !regexp.MustCompile(want).MatchString(log) {
				t.Errorf("the syncer's log lacks %q:\n%s", want, log)
			}
		}
		if m := regexp.MustCompile(`records=0\b|deletes=[1-9]`).FindString(log); m != "" {
			t.Errorf("the restarted syncer pushed a table that lost records (%s):\n%s", m, log)
		}
		if st := gslbctl.FindRecord(l.table(t), hello).GetStale(); st == nil || !strings.Contains(st.GetReason(), "config cluster not synced") {
			t.Errorf("hello's stale mark %v, want the config cluster's", st)
		}
		out := l.gslbctlTable(t)
		if !regexp.MustCompile(`(?m)^hello\.avi\.iberia\.local\. .*\n  stale since \S+ \(\S+ ago\): config cluster not synced`).MatchString(out) {
			t.Errorf("gslbctl table does not show hello as stale:\n%s", out)
		}
		l.expectMetric(t, `gslb_syncer_kube_stale{owner="config"}`)
	})

	t.Run("coredns-gslb restarted too: its persisted table is the one kept", func(t *testing.T) {
		l.s.Stop()
		l.c.Restart()
		l.s = harness.StartSyncer(l.t, l.syncerArgs...)
		l.exactRounds(t, roundsFor)
		if m := regexp.MustCompile(`records=0\b|deletes=[1-9]`).FindString(l.s.Log()); m != "" {
			t.Errorf("the restarted syncer pushed a table that lost records (%s):\n%s", m, l.s.Log())
		}
	})

	t.Run("config apiserver back: the marks go, a policy edit applies within 2 s", func(t *testing.T) {
		must(t, config.Restart()) // returns once the apiserver is ready
		ready := time.Now()
		l.patchPolicy(t, kubescenario.GDPName, `{"spec":{"trafficSplit":[{"cluster":"s1az1","weight":6},{"cluster":"s1az2","weight":3},{"cluster":"s2","weight":1}]}}`)
		// The syncer, restarted during the outage, sees the config cluster
		// again within configResume: its informers do not wait on
		// client-go's backoff (up to 30 s).
		harness.Eventually(t, configResume, func() error {
			if w := memberWeights(gslbctl.FindRecord(l.table(t), hello)); w != "6,3,1" {
				return fmt.Errorf("hello's weights in the plugin's table %s, want 6,3,1", w)
			}
			return nil
		})
		t.Logf("the edit reached the plugin's table %v after the config apiserver was ready", time.Since(ready).Round(time.Millisecond))
		l.expectSplit(t, [3]int32{6, 3, 1})
		harness.Eventually(t, wait, func() error {
			r := gslbctl.FindRecord(l.table(t), hello)
			if r.GetStale() != nil {
				return fmt.Errorf("hello still stale: %v", r.GetStale())
			}
			for _, m := range r.GetMembers() {
				if m.GetStale() != nil {
					return fmt.Errorf("hello's member %s still stale: %v", m.GetAddress(), m.GetStale())
				}
			}
			return nil
		})
		l.waitLog(t, `msg="nothing kept stale any more: its owner is seen again" .*owner=config`)
	})
}

// configResume bounds how long after the config apiserver is ready a
// policy edit reaches the plugin's table: 2 s, and 1 s of slack for a
// loaded machine.
const configResume = 3 * time.Second

// memberWeights lists a record's member weights, largest first: "6,4,2".
func memberWeights(r *gslbv1.Record) string {
	var ws []int
	for _, m := range r.GetMembers() {
		ws = append(ws, int(m.GetWeight()))
	}
	slices.Sort(ws)
	slices.Reverse(ws)
	return strings.Trim(strings.Join(strings.Fields(fmt.Sprint(ws)), ","), "[]")
}

// expectMetric checks that the syncer's metrics have a series whose name
// and labels start with series, with a positive value.
func (l *lab) expectMetric(t *testing.T, series string) {
	t.Helper()
	m := regexp.MustCompile(`msg="serving metrics" url=(\S+)`).FindStringSubmatch(l.s.Log())
	if m == nil {
		t.Fatalf("the syncer did not log its metrics address:\n%s", l.s.Log())
	}
	harness.Eventually(t, wait, func() error {
		code, body, err := harness.HTTPGet(m[1])
		if err != nil || code != 200 {
			return fmt.Errorf("GET %s: %d %v", m[1], code, err)
		}
		rx := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` [1-9]`)
		if !rx.MatchString(body) {
			return fmt.Errorf("no %s > 0 in the metrics", series)
		}
		return nil
	})
}

// TestKubeMemberOutage: a member cluster's apiserver is down and the syncer
// restarts: its member stays, still probed (a site stopped meanwhile
// leaves, and comes back), until the grace period counted from when the
// cluster was last seen (not from the restart) expires; then it leaves.
func TestKubeMemberOutage(t *testing.T) {
	const memberGrace = 30 * time.Second
	l := startLab(t, fmt.Sprintf("&grace=%s&startwait=5s&metrics=127.0.0.1:0", memberGrace))
	sites := startSites(t)
	l.patchPolicy(t, kubescenario.GDPName, fmt.Sprintf(`{"spec":{"healthCheck":{"type":"HTTP","port":%d,"path":"/","interval":"200ms","timeout":"100ms","rise":2,"fall":3}}}`, sites.port))
	l.waitProbedUp(t, 3)
	l.expectSplit(t, [3]int32{6, 4, 2})
	all3, two := "127.0.0.11,127.0.0.12,127.0.0.13", "127.0.0.11,127.0.0.12"

	s2 := l.env.Cluster("s2")
	must(t, s2.Stop())
	st := l.waitStaleMember(t, "s2")
	lastSeen := time.Unix(0, st.GetSinceUnixNano())
	if d := time.Since(lastSeen); d < 0 || d > wait {
		t.Fatalf("s2 last seen %v ago, want since its apiserver stopped", d)
	}
	// The restart comes well after s2 was last seen, so that the grace
	// period counted from it ends well before one counted from the restart.
	l.steady(t, hello, 12, all3, time.Until(lastSeen.Add(8*time.Second)))
	l.restartSyncer()
	restarted := time.Now()
	l.waitLog(t, `msg="member cluster seeded from the plugin's table.* cluster=s2 `)
	l.waitLog(t, `msg=applied.*kind=FULL`)
	if !strings.Contains(l.s.Log(), "last_seen="+lastSeen.UTC().Format(time.RFC3339)) {
		t.Errorf("the syncer did not take s2's last-seen time %v from the plugin's table:\n%s", lastSeen.UTC().Format(time.RFC3339), l.s.Log())
	}
	l.expectMetric(t, `gslb_syncer_kube_stale{owner="s2"}`)

	t.Run("kept members are probed: a stopped site leaves and comes back", func(t *testing.T) {
		sites.stop("127.0.0.13")
		l.waitSet(t, hello, dns.TypeA, 12, two)
		must(t, sites.start("127.0.0.13"))
		l.waitSet(t, hello, dns.TypeA, 12, all3)
		if time.Since(lastSeen) >= memberGrace-2*time.Second {
			t.Fatalf("too slow: the grace period from last seen is (nearly) over")
		}
	})

	t.Run("the member leaves when the grace period from last seen ends", func(t *testing.T) {
		l.steady(t, hello, 12, all3, time.Until(lastSeen.Add(memberGrace-time.Second)))
		l.waitSet(t, hello, dns.TypeA, 12, two)
		left := time.Since(lastSeen)
		t.Logf("s2's member left %v after it was last seen, %v after the syncer's restart", left, time.Since(restarted))
		if time.Since(restarted) >= memberGrace-2*time.Second {
			t.Errorf("s2's member left %v after the restart: the grace period counted from the restart, not from last seen (%v before it)",
				time.Since(restarted), restarted.Sub(lastSeen))
		}
	})
}
