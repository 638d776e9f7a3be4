package e2e

import (
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/test/e2e/harness"

	"github.com/miekg/dns"
)

// The syncer's own metrics (--metrics) and its restart, end to end: real
// HTTP members on loopback (the sites of health_test.go), the real syncer
// probing them, the real coredns-gslb.

// metricsStack starts coredns-gslb and a syncer serving its metrics on a
// free port of 127.0.0.1, and returns the stack and the metrics' URL.
func metricsStack(t *testing.T, yaml string) (*stack, string) {
	t.Helper()
	st := &stack{dir: t.TempDir()}
	st.yaml = filepath.Join(st.dir, "members.yaml")
	harness.WriteFile(t, st.yaml, yaml)
	st.c = harness.StartCoreDNS(t, corefile, nil)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(harness.FreePort(t)))
	st.s = harness.StartSyncer(t, "--source", "file:"+st.yaml, "--push", "unix://"+st.c.Sock, "--metrics", addr)
	st.start = st.c.WaitLoaded(loadTimeout)
	return st, "http://" + addr + "/metrics"
}

// scrapeMetrics returns the syncer's /metrics page.
func scrapeMetrics(url string) (string, error) {
	code, body, err := harness.HTTPGet(url)
	if err != nil {
		return "", err
	}
	if code != 200 {
		return "", fmt.Errorf("GET %s: status %d", url, code)
	}
	return body, nil
}

// seriesValue returns the value of a series (name{labels} as exposed, the
// labels sorted by name) in a /metrics page.
func seriesValue(page, series string) (float64, bool) {
	for line := range strings.SplitSeq(page, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			return f, err == nil
		}
	}
	return 0, false
}

// awaitSeries scrapes url until cond holds for the value of series (which
// may be absent: ok false), and returns the page.
func awaitSeries(t *testing.T, url, series string, cond func(v float64, ok bool) bool) string {
	t.Helper()
	var page string
	harness.Eventually(t, waitTimeout, func() error {
		var err error
		if page, err = scrapeMetrics(url); err != nil {
			return err
		}
		if v, ok := seriesValue(page, series); !cond(v, ok) {
			return fmt.Errorf("%s = %v (present: %v)", series, v, ok)
		}
		return nil
	})
	return page
}

func equals(want float64) func(float64, bool) bool {
	return func(v float64, ok bool) bool { return ok && v == want }
}

// The syncer's /metrics: the health of each member with the reason of its
// last transition, the latency from a YAML edit to the plugin's
// acknowledgement, and the Go runtime's and the process's series.
func TestSyncerMetrics(t *testing.T) {
	t.Parallel()
	ips := siteIPs(2)
	a := startSite(t, "A", ips[0], 0)
	startSite(t, "B", ips[1], a.port)
	yaml := func(weight int) string {
		return fmt.Sprintf(`records:
  - fqdn: hello.avi.iberia.local
    ttl: 2
    healthCheck: {type: http, port: %d, interval: 300ms, timeout: 200ms, rise: 2, fall: 2}
    members: [{address: %s, weight: %d}, {address: %s}]
`, a.port, ips[0], weight, ips[1])
	}
	st, url := metricsStack(t, yaml(1))
	port := strconv.Itoa(a.port)
	up := func(ip string) string {
		return `gslb_syncer_health_target_up{address="` + ip + `",port="` + port + `",type="http"}`
	}
	for _, ip := range ips {
		awaitSeries(t, url, up(ip), equals(1))
	}
	page, err := scrapeMetrics(url)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		"go_goroutines ", "go_info{", "go_memstats_heap_alloc_bytes ",
		"process_cpu_seconds_total ", "process_resident_memory_bytes ", "process_start_time_seconds ",
		`gslb_syncer_health_targets{type="http"} 2`,
		`gslb_syncer_health_target_info{address="` + ips[1] + `",health="up",port="` + port + `",reason="HTTP 200 from GET /",type="http"} 1`,
	} {
		if !strings.Contains(page, s) {
			t.Errorf("/metrics lacks %q", s)
		}
	}
	if v, ok := seriesValue(page, `gslb_syncer_health_probes_total{result="ok",type="http"}`); !ok || v < 2 {
		t.Errorf("probes_total ok = %v (present %v), want at least one probe per member", v, ok)
	}

	// An edit of the file is measured until the plugin acknowledged it.
	acks := `gslb_syncer_event_to_ack_seconds_count{cause="source",target="unix://` + st.c.Sock + `"}`
	before, ok := seriesValue(page, acks)
	if !ok {
		t.Fatalf("/metrics lacks %s", acks)
	}
	harness.ReplaceFile(t, st.yaml, yaml(5))
	page = awaitSeries(t, url, acks, func(v float64, ok bool) bool { return ok && v > before })
	if v, _ := seriesValue(page, acks); v != before+1 {
		t.Errorf("%s went from %v to %v after one edit, want +1", acks, before, v)
	}
	sum, _ := seriesValue(page, strings.Replace(acks, "_count{", "_sum{", 1))
	t.Logf("edit to acknowledgement: %d edits measured, %.1f ms on average", int(before+1), 1000*sum/(before+1))

	// A stopped member: target_up 0, and target_info says why.
	a.Stop()
	page = awaitSeries(t, url, up(ips[0]), equals(0))
	info := `gslb_syncer_health_target_info{address="` + ips[0] + `",health="down",port="` + port + `",reason="connect: connection refused",type="http"}`
	if v, ok := seriesValue(page, info); !ok || v != 1 {
		t.Errorf("/metrics lacks %s 1:\n%s", info, grepLines(page, "gslb_syncer_health_target_"))
	}
	if v, ok := seriesValue(page, up(ips[1])); !ok || v != 1 {
		t.Errorf("the other member: %s = %v (present %v), want 1", up(ips[1]), v, ok)
	}
	if v, ok := seriesValue(page, `gslb_syncer_health_transitions_total{to="down"}`); !ok || v != 1 {
		t.Errorf("transitions to down = %v (present %v), want 1", v, ok)
	}
	// ...and the transition is measured to its acknowledgement too.
	awaitSeries(t, url, `gslb_syncer_event_to_ack_seconds_count{cause="health",target="unix://`+st.c.Sock+`"}`,
		func(v float64, ok bool) bool { return ok && v >= 1 })
}

// grepLines returns the lines of page that start with prefix.
func grepLines(page, prefix string) string {
	var out []string
	for line := range strings.SplitSeq(page, "\n") {
		if strings.HasPrefix(line, prefix) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// A syncer restarted while a member is down keeps it out of the answers: the
// new syncer seeds its probes from the plugin's table, so that its first push
// does not bring the member back as unknown (served) until fall probes fail.
// The answers are watched without a pause from before the old syncer stops
// until well after the new one has pushed: the member never appears.
func TestSyncerRestartKeepsMemberDown(t *testing.T) {
	t.Parallel()
	const (
		interval = 300 * time.Millisecond
		fall     = 3
	)
	ips := siteIPs(3)
	a := startSite(t, "A", ips[0], 0)
	down := startSite(t, "B", ips[1], a.port)
	startSite(t, "C", ips[2], a.port)
	st := healthStack(t, fmt.Sprintf(`records:
  - fqdn: hello.avi.iberia.local
    ttl: 2
    healthCheck: {type: http, port: %d, interval: %v, timeout: 200ms, rise: 2, fall: %d}
    members: [{address: %s}, {address: %s}, {address: %s}]
`, a.port, interval, fall, ips[0], ips[1], ips[2]))
	down.Stop()
	st.awaitHealth(t, waitTimeout, hello, ips[1], gslbv1.Health_HEALTH_DOWN, "connect: connection refused")
	before, err := st.c.Status()
	if err != nil {
		t.Fatal(err)
	}

	// Watch the answers until told to stop.
	var (
		answers, appearances, failures atomic.Int64
		stop                           = make(chan struct{})
		wg                             sync.WaitGroup
	)
	cl := harness.Dial(t, st.c.Addr, "udp")
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			r, err := cl.Exchange(hello, dns.TypeA)
			if err != nil {
				failures.Add(1)
				continue
			}
			answers.Add(1)
			if answerOf(r) == ips[1] {
				appearances.Add(1)
			}
			time.Sleep(pause)
		}
	})
	stopWatching := func() {
		close(stop)
		wg.Wait()
	}

	if code := st.s.Stop(); code != 0 {
		stopWatching()
		t.Fatalf("gslb-syncer exited with status %d on SIGTERM\n%s", code, st.s.Stderr())
	}
	st.startSyncer(t)
	// The new syncer pushes the whole table once its first probes are in.
	harness.Eventually(t, waitTimeout, func() error {
		s, err := st.c.Status()
		if err != nil {
			return err
		}
		if s.GetVersion() == before.GetVersion() {
			return fmt.Errorf("version still %d: the new syncer has not pushed", s.GetVersion())
		}
		return nil
	})
	// Then watch on for as long as an unknown member would have been
	// answered, twice over: fall probes and a push.
	time.Sleep(2 * (fall*interval + time.Second))
	stopWatching()

	if n := appearances.Load(); n != 0 {
		t.Errorf("the down member %s was answered %d times (of %d answers) across the restart, want never", ips[1], n, answers.Load())
	}
	if n := answers.Load(); n < 100 {
		t.Errorf("only %d answers watched across the restart", n)
	}
	log := st.s.Log()
	if !strings.Contains(log, `msg="probe state seeded from a plugin's table"`) || !strings.Contains(log, "seeded=3") {
		t.Errorf("the new syncer did not log that it seeded its 3 targets:\n%s", log)
	}
	h, why, err := memberState(st.dump(t), hello, ips[1])
	if err != nil || h != gslbv1.Health_HEALTH_DOWN || why != "connect: connection refused" {
		t.Errorf("after the restart %s is %v %q (%v), want DOWN with its reason", ips[1], h, why, err)
	}
	t.Logf("across the restart: %d answers, %d with the down member, %d queries without an answer", answers.Load(), appearances.Load(), failures.Load())
}
