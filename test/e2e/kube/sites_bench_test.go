package kube

import (
	"bufio"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gslbdns/gslb/test/e2e/harness"
	"github.com/gslbdns/gslb/test/kubescenario"
)

// benchMinute is how long each configuration of BenchmarkKubeSites runs.
const benchMinute = time.Minute

// handOvers is how often BenchmarkKubeSites kills the leader.
const handOvers = 3

// BenchmarkKubeSites measures issue 12's numbers on the multi-site lab of
// TestKubeSites, with one syncer (node a1) and then three (a1, a2, b1):
// the probes a member receives per health-check interval, the policy's
// status writes per minute while a demo site is stopped and started again
// in a loop, the list and watch calls per syncer against each member
// apiserver at start-up and per minute (from the apiservers' own
// /metrics), and the hand-over time when the leader is killed. It runs
// once, whatever b.N (a run takes about four minutes):
//
//	make build && GSLB_BIN=$PWD/bin go test -run '^$' -bench KubeSites -benchtime 1x ./test/e2e/kube
func BenchmarkKubeSites(b *testing.B) {
	l := startSitesLab(b)
	all3 := "127.0.0.11,127.0.0.12,127.0.0.13"

	calls := l.apiCalls(b)
	l.startNode(b, "a1")
	l.waitHolder(b, "a1", wait)
	l.waitServes(b, all3)
	l.settled(b)
	up1 := l.apiCalls(b).minus(calls).per(1)
	one := l.minute(b, all3)

	calls = l.apiCalls(b)
	l.startNode(b, "a2")
	l.startNode(b, "b1")
	l.waitServes(b, all3)
	l.settled(b)
	up3 := l.apiCalls(b).minus(calls).per(2)
	three := l.minute(b, all3)

	var took []time.Duration
	for range handOvers {
		took = append(took, l.handOver(b))
		l.waitServes(b, all3)
	}

	b.Logf("start-up, per syncer (member apiservers' /metrics): 1st syncer %s; 2nd and 3rd %s", up1, up3)
	for _, m := range []struct {
		n int
		r minuteResult
	}{{1, one}, {3, three}} {
		b.Logf("%d syncer(s), %v: %d stop/start cycles, %d status writes (%.1f a minute, %.1f a cycle), %.2f probes per member per interval, %d member apiserver flaps; per syncer a minute: %s",
			m.n, m.r.took.Round(time.Second), m.r.cycles, m.r.writes, m.r.writesPerMinute(), float64(m.r.writes)/float64(m.r.cycles),
			m.r.probes, m.r.flaps, m.r.calls.per(m.n))
	}
	b.Logf("hand-over after the leader was killed (lease duration %v): %v", leaseDuration, took)
	b.ReportMetric(one.probes, "probes/interval/member/1-syncer")
	b.ReportMetric(three.probes, "probes/interval/member/3-syncers")
	b.ReportMetric(one.writesPerMinute(), "status-writes/min/1-syncer")
	b.ReportMetric(three.writesPerMinute(), "status-writes/min/3-syncers")
	b.ReportMetric(slicesMax(took).Seconds(), "s/hand-over-max")
}

func slicesMax(d []time.Duration) time.Duration {
	m := d[0]
	for _, x := range d[1:] {
		m = max(m, x)
	}
	return m
}

// minuteResult is what a minute of stop/start cycles of a demo site did.
type minuteResult struct {
	took           time.Duration
	cycles, writes int
	probes         float64 // per member (of those never stopped) per interval
	flaps          int
	calls          apiCalls // against the member apiservers, every syncer
}

func (m minuteResult) writesPerMinute() float64 {
	return float64(m.writes) / m.took.Minutes()
}

// minute stops and starts s1az2's demo site again and again for
// benchMinute, each step seen by every node and in the status.
func (l *sitesLab) minute(tb testing.TB, all string) minuteResult {
	tb.Helper()
	var m minuteResult
	calls, probes, flaps := l.apiCalls(tb), l.demo.count(), l.flaps()
	start := time.Now()
	m.writes = l.statusWrites(tb, func() {
		for time.Since(start) < benchMinute {
			l.cycleSite(tb, kubescenario.LBAddress["s1az2"], all)
			m.cycles++
		}
	})
	m.took = time.Since(start)
	m.calls = l.apiCalls(tb).minus(calls)
	m.probes = perInterval(probes, l.demo.count(), []string{kubescenario.LBAddress["s1az1"], kubescenario.LBAddress["s2"]}, m.took)
	m.flaps = l.flaps() - flaps
	return m
}

// handOver kills the syncer holding the Lease, returns how long until
// another holds it, and starts the killed one again.
func (l *sitesLab) handOver(tb testing.TB) time.Duration {
	tb.Helper()
	leader := l.nodes[l.holder(tb)]
	if leader == nil {
		tb.Fatalf("the Lease is held by %q, not a node", l.holder(tb))
	}
	killed := time.Now()
	leader.syncer.Kill()
	harness.Eventually(tb, leaseDuration+handOverSlack, func() error {
		if h := l.holder(tb); h == "" || h == leader.name {
			return fmt.Errorf("lease held by %q", h)
		}
		return nil
	})
	took := time.Since(killed)
	leader.syncer = harness.StartSyncer(tb, leader.args...)
	return took
}

// apiCalls counts, per member apiserver, the list and watch requests for
// what the syncer watches in a member cluster: LIST requests, and WATCH
// requests started. apiserver_request_total counts a request when it ends,
// so the watches started are those ended plus those open now
// (apiserver_longrunning_requests). client-go 0.37's informers list
// through a watch (WatchList: sendInitialEvents), so a syncer's start-up
// shows as watches, not lists.
type apiCalls map[string]*[2]float64 // cluster: lists, watches started

// memberResources are what the syncer watches in a member cluster.
var memberResources = []string{"services", "ingresses", "namespaces", "endpointslices"}

var seriesRE = regexp.MustCompile(`^(apiserver_request_total|apiserver_longrunning_requests)\{(.*)\} (\S+)$`)

func (l *sitesLab) apiCalls(tb testing.TB) apiCalls {
	tb.Helper()
	c := apiCalls{}
	for _, name := range kubescenario.Members {
		body, err := l.cs[name].CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(l.ctx)
		if err != nil {
			tb.Fatalf("%s's /metrics: %v", name, err)
		}
		c[name] = new([2]float64)
		sc := bufio.NewScanner(strings.NewReader(string(body)))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			m := seriesRE.FindStringSubmatch(sc.Text())
			if m == nil || !watchedResource(m[2]) {
				continue
			}
			v, _ := strconv.ParseFloat(m[3], 64)
			switch {
			case m[1] == "apiserver_request_total" && strings.Contains(m[2], `verb="LIST"`):
				c[name][0] += v
			case strings.Contains(m[2], `verb="WATCH"`): // ended, or open now
				c[name][1] += v
			}
		}
	}
	return c
}

func watchedResource(labels string) bool {
	for _, r := range memberResources {
		if strings.Contains(labels, `resource="`+r+`"`) && strings.Contains(labels, `subresource=""`) {
			return true
		}
	}
	return false
}

// minus is c - d, cluster by cluster.
func (c apiCalls) minus(d apiCalls) apiCalls {
	out := apiCalls{}
	for k, v := range c {
		out[k] = &[2]float64{v[0] - d[k][0], v[1] - d[k][1]}
	}
	return out
}

// per divides by n syncers.
func (c apiCalls) per(n int) apiCalls {
	out := apiCalls{}
	for k, v := range c {
		out[k] = &[2]float64{v[0] / float64(n), v[1] / float64(n)}
	}
	return out
}

func (c apiCalls) String() string {
	var parts []string
	for _, k := range kubescenario.Members {
		parts = append(parts, fmt.Sprintf("%s %.1f LIST %.1f WATCH", k, c[k][0], c[k][1]))
	}
	return strings.Join(parts, ", ")
}
