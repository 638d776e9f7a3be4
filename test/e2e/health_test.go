package e2e

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	tablectl "github.com/gslbdns/gslb/syncer/gslbctl"
	"github.com/gslbdns/gslb/test/e2e/harness"

	"github.com/miekg/dns"
)

// The active health checks of gslb-syncer, end to end: real HTTP servers on
// loopback addresses as the members, the real syncer probing them, the real
// coredns-gslb answering. Each test has its own block of addresses,
// 127.77.N.0/24, so that parallel tests never share a member.

var siteBlock atomic.Int32

// siteIPs returns n addresses of a new block: 127.77.N.1, .2, …
func siteIPs(n int) []string {
	b := siteBlock.Add(1)
	ips := make([]string, n)
	for i := range ips {
		ips[i] = fmt.Sprintf("127.77.%d.%d", b, i+1)
	}
	return ips
}

// siteMode is how a test site answers GET /.
type siteMode int

const (
	siteOK     siteMode = iota // 200 with "This service resides in NAME"
	siteFail                   // 503
	siteHang                   // no answer until the mode changes
	siteNoBody                 // 200 without "resides"
)

// site is an HTTP server on ip:port whose answers the test controls, and
// which it can stop (the port then refuses connections) and start again.
type site struct {
	t        *testing.T
	name, ip string
	port     int

	mu       sync.Mutex
	mode     siteMode
	failNext int           // the next failNext requests get 503, whatever the mode
	release  chan struct{} // closed when the mode leaves siteHang
	srv      *http.Server
	requests int // GET / served
	failed   int // of which answered 503 by failNext
}

// startSite serves on ip:port (port 0: any; see s.port).
func startSite(t *testing.T, name, ip string, port int) *site {
	t.Helper()
	s := &site{t: t, name: name, ip: ip, port: port, release: make(chan struct{})}
	s.Start()
	t.Cleanup(func() {
		s.setMode(siteOK) // release hanging handlers before closing
		s.Stop()
	})
	return s
}

func (s *site) addr() string { return net.JoinHostPort(s.ip, strconv.Itoa(s.port)) }

// Start listens again (on the same port).
func (s *site) Start() {
	s.t.Helper()
	ln, err := net.Listen("tcp", s.addr())
	if err != nil {
		s.t.Fatalf("site %s: %v", s.name, err)
	}
	s.port = ln.Addr().(*net.TCPAddr).Port
	srv := &http.Server{Handler: http.HandlerFunc(s.serve), ReadHeaderTimeout: 5 * time.Second}
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	go srv.Serve(ln)
}

// Stop closes the listener and every connection: the port refuses.
func (s *site) Stop() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

func (s *site) setMode(m siteMode) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mode == siteHang && m != siteHang {
		close(s.release)
		s.release = make(chan struct{})
	}
	s.mode = m
}

// failNextRequests makes the next n requests answer 503.
func (s *site) failNextRequests(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = n
}

func (s *site) counts() (requests, failed, pendingFails int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests, s.failed, s.failNext
}

func (s *site) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	mode, release := s.mode, s.release
	if s.failNext > 0 {
		s.failNext--
		s.failed++
		mode = siteFail
	}
	s.mu.Unlock()
	switch mode {
	case siteFail:
		http.Error(w, "failing on purpose", http.StatusServiceUnavailable)
	case siteHang:
		select {
		case <-release:
			fmt.Fprintf(w, "<h1>This service resides in %s</h1>\n", s.name)
		case <-r.Context().Done():
		}
	case siteNoBody:
		fmt.Fprintln(w, "hello")
	default:
		fmt.Fprintf(w, "<h1>This service resides in %s</h1>\n", s.name)
	}
}

// healthStack starts coredns-gslb and a syncer on the members file yaml.
func healthStack(t *testing.T, yaml string) *stack {
	t.Helper()
	st := &stack{dir: t.TempDir()}
	st.yaml = filepath.Join(st.dir, "members.yaml")
	harness.WriteFile(t, st.yaml, yaml)
	st.c = harness.StartCoreDNS(t, corefile, nil)
	st.startSyncer(t)
	st.start = st.c.WaitLoaded(loadTimeout)
	return st
}

// dump reads the plugin's table.
func (st *stack) dump(t *testing.T) []*gslbv1.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, recs, err := tablectl.Dump(ctx, st.c.TableClient())
	if err != nil {
		t.Fatalf("dump: %v", err)
	}
	return recs
}

// memberState returns a member's health and reason in the plugin's table.
func memberState(recs []*gslbv1.Record, fqdn, ip string) (gslbv1.Health, string, error) {
	r := tablectl.FindRecord(recs, fqdn)
	if r == nil {
		return 0, "", fmt.Errorf("no record %s in the table", fqdn)
	}
	for _, m := range r.GetMembers() {
		if m.GetAddress() == ip {
			return m.GetHealth(), m.GetHealthReason(), nil
		}
	}
	return 0, "", fmt.Errorf("no member %s in %s", ip, fqdn)
}

// awaitHealth waits until the member has health h with a reason containing
// reason, and returns the reason.
func (st *stack) awaitHealth(t *testing.T, timeout time.Duration, fqdn, ip string, h gslbv1.Health, reason string) string {
	t.Helper()
	var got string
	harness.Eventually(t, timeout, func() error {
		hh, why, err := memberState(st.dump(t), fqdn, ip)
		if err != nil {
			return harness.Permanent(err)
		}
		got = why
		if hh != h || !strings.Contains(why, reason) {
			return fmt.Errorf("%s in %s: %v %q, want %v with %q", ip, fqdn, hh, why, h, reason)
		}
		return nil
	})
	return got
}

// answerOf returns the address of a one-A answer, or "".
func answerOf(r *dns.Msg) string {
	if ip, _, err := harness.OneA(r); err == nil {
		return ip.String()
	}
	return ""
}

// pause spaces the queries of the loops that watch the answers: enough
// resolution for what they measure, without hogging the machine's CPUs.
const pause = 2 * time.Millisecond

// watchUntil queries fqdn until the member ip has health h in the table and
// then `after` more times; it returns the time of the last answer with ip
// (zero if none) and of the first one (zero if none), and fails the test
// when an answer with ip comes after the table showed h = DOWN.
func (st *stack) watchUntil(t *testing.T, cl *harness.Client, fqdn, ip string, h gslbv1.Health, timeout time.Duration) (first, last time.Time) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var reached time.Time
	nextDump := time.Now()
	for {
		r, err := cl.Exchange(fqdn, dns.TypeA)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		if answerOf(r) == ip {
			if first.IsZero() {
				first = now
			}
			last = now
			if !reached.IsZero() && h == gslbv1.Health_HEALTH_DOWN {
				t.Fatalf("%s answered %v after the table showed it down", ip, now.Sub(reached))
			}
		}
		switch {
		case !reached.IsZero():
			if now.Sub(reached) > 200*time.Millisecond {
				return first, last
			}
		case now.After(deadline):
			t.Fatalf("%s of %s not %v after %v", ip, fqdn, h, timeout)
		case !now.Before(nextDump):
			hh, _, err := memberState(st.dump(t), fqdn, ip)
			if err != nil {
				t.Fatal(err)
			}
			if hh == h {
				reached = time.Now()
			}
			nextDump = time.Now().Add(20 * time.Millisecond)
		}
		time.Sleep(pause)
	}
}

// A stopped member leaves the answers within interval × fall (plus the
// push), with the reason of its probes; started again, it comes back after
// rise passing probes, not before.
func TestHealthStopAndRestart(t *testing.T) {
	t.Parallel()
	const (
		interval = 500 * time.Millisecond
		fall     = 3
		rise     = 2
		slack    = loadSlack // the push, and a loaded machine
	)
	ips := siteIPs(3)
	a := startSite(t, "SITE1 AZ1", ips[0], 0)
	startSite(t, "SITE1 AZ2", ips[1], a.port)
	startSite(t, "SITE2", ips[2], a.port)
	st := healthStack(t, fmt.Sprintf(`records:
  - fqdn: hello.avi.iberia.local
    ttl: 2
    healthCheck: {type: http, port: %d, interval: %v, timeout: 250ms, rise: %d, fall: %d, bodyContains: resides}
    members:
      - {cluster: s1az1, address: %s}
      - {cluster: s1az2, address: %s}
      - {cluster: s2, address: %s}
`, a.port, interval, rise, fall, ips[0], ips[1], ips[2]))
	for _, ip := range ips {
		st.awaitHealth(t, waitTimeout, hello, ip, gslbv1.Health_HEALTH_UP, "HTTP 200 from GET /")
	}
	cl := harness.Dial(t, st.c.Addr, "udp")

	time.Sleep(rand.N(interval)) // at a random point of the probes' cycle
	stopped := time.Now()
	a.Stop()
	_, last := st.watchUntil(t, cl, hello, ips[0], gslbv1.Health_HEALTH_DOWN, waitTimeout)
	gone := last.Sub(stopped)
	if last.IsZero() {
		gone = 0
	}
	why := st.awaitHealth(t, waitTimeout, hello, ips[0], gslbv1.Health_HEALTH_DOWN, "connect: connection refused")
	t.Logf("stopped: last answered %v after the stop (limit interval × fall + push = %v + %v); reason %q",
		gone.Round(time.Millisecond), fall*interval, slack, why)
	if gone > fall*interval+slack {
		t.Errorf("a stopped member was answered %v after its stop, want within %v", gone, fall*interval+slack)
	}

	started := time.Now()
	a.Start()
	first, _ := st.watchUntil(t, cl, hello, ips[0], gslbv1.Health_HEALTH_UP, waitTimeout)
	if first.IsZero() {
		t.Fatalf("%s is up in the table but was not answered", ips[0])
	}
	back := first.Sub(started)
	t.Logf("restarted: answered again %v after the start (rise %d × interval %v)", back.Round(time.Millisecond), rise, interval)
	if soonest := (rise - 1) * interval; back < soonest-50*time.Millisecond {
		t.Errorf("back %v after the restart: sooner than %d passing probes %v apart allow", back, rise, interval)
	}
	if back > rise*interval+slack {
		t.Errorf("back %v after the restart, want within %v", back, rise*interval+slack)
	}
	st.awaitHealth(t, waitTimeout, hello, ips[0], gslbv1.Health_HEALTH_UP, "HTTP 200 from GET /")
}

// Each way of failing takes its member out, with a reason that says how:
// 503, a hang past the timeout, a TCP connect refused, a body without the
// expected text. The healthy member of each record keeps answering.
func TestHealthFailureModes(t *testing.T) {
	t.Parallel()
	ips := siteIPs(9)
	s503 := startSite(t, "503", ips[0], 0)
	port := s503.port
	hang := startSite(t, "hang", ips[1], port)
	nobody := startSite(t, "nobody", ips[2], port)
	for i := 3; i < 7; i++ {
		startSite(t, "ok", ips[i], port)
	}
	// ips[7] has nothing listening: connections are refused.
	st := healthStack(t, fmt.Sprintf(`defaults:
  healthCheck: {port: %d, interval: 300ms, timeout: 200ms, rise: 2, fall: 2}
records:
  - fqdn: s503.avi.iberia.local
    members: [{address: %s}, {address: %s}]
  - fqdn: hang.avi.iberia.local
    members: [{address: %s}, {address: %s}]
  - fqdn: body.avi.iberia.local
    healthCheck: {bodyContains: resides}
    members: [{address: %s}, {address: %s}]
  - fqdn: tcp.avi.iberia.local
    healthCheck: {type: tcp}
    members: [{address: %s}, {address: %s}]
`, port, ips[0], ips[3], ips[1], ips[4], ips[2], ips[5], ips[7], ips[6]))
	for _, r := range []struct{ fqdn, ip string }{{"s503", ips[3]}, {"hang", ips[4]}, {"body", ips[5]}, {"tcp", ips[6]}} {
		st.awaitHealth(t, waitTimeout, r.fqdn+"."+zone, r.ip, gslbv1.Health_HEALTH_UP, "")
	}
	s503.setMode(siteFail)
	hang.setMode(siteHang)
	nobody.setMode(siteNoBody)
	cl := harness.Dial(t, st.c.Addr, "udp")
	for _, c := range []struct{ fqdn, down, up, reason string }{
		{"s503", ips[0], ips[3], "HTTP 503 from GET /"},
		{"hang", ips[1], ips[4], "timeout after 200ms"},
		{"body", ips[2], ips[5], `body lacks "resides"`},
		{"tcp", ips[7], ips[6], "connect: connection refused"},
	} {
		fqdn := c.fqdn + "." + zone
		why := st.awaitHealth(t, waitTimeout, fqdn, c.down, gslbv1.Health_HEALTH_DOWN, c.reason)
		for range 10 {
			if got := answerOf(cl.Query(t, fqdn, dns.TypeA)); got != c.up {
				t.Errorf("%s answered %q, want only the healthy %s", fqdn, got, c.up)
				break
			}
		}
		t.Logf("%s: %s down, reason %q", c.fqdn, c.down, why)
	}
}

// With every member down, each down response answers as specified: all
// (fail open: a member), fallback (the fallback address), empty (NODATA),
// servfail (SERVFAIL). The members come back when their sites do.
func TestHealthAllDownResponses(t *testing.T) {
	t.Parallel()
	ips := siteIPs(2)
	a := startSite(t, "A", ips[0], 0)
	b := startSite(t, "B", ips[1], a.port)
	var recs strings.Builder
	for _, dr := range []string{"all", "fallback", "empty", "servfail"} {
		fmt.Fprintf(&recs, "  - fqdn: %s.avi.iberia.local\n    downResponse: %s\n    fallback: [192.0.2.99]\n    members: [{address: %s}, {address: %s}]\n",
			dr, dr, ips[0], ips[1])
	}
	st := healthStack(t, fmt.Sprintf("defaults:\n  healthCheck: {port: %d, interval: 300ms, timeout: 200ms, rise: 2, fall: 2}\nrecords:\n%s", a.port, recs.String()))
	cl := harness.Dial(t, st.c.Addr, "udp")
	members := func(fqdn string) error {
		if got := answerOf(cl.Query(t, fqdn, dns.TypeA)); !slices.Contains(ips, got) {
			return fmt.Errorf("%s answered %q, want a member", fqdn, got)
		}
		return nil
	}
	for _, dr := range []string{"all", "fallback", "empty", "servfail"} {
		if err := members(dr + "." + zone); err != nil {
			t.Fatal(err)
		}
	}

	a.Stop()
	b.Stop()
	for _, dr := range []string{"all", "fallback", "empty", "servfail"} {
		for _, ip := range ips {
			st.awaitHealth(t, waitTimeout, dr+"."+zone, ip, gslbv1.Health_HEALTH_DOWN, "connect: connection refused")
		}
	}
	for range 3 {
		if r := cl.Query(t, "all."+zone, dns.TypeA); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 2 ||
			!slices.Contains(ips, r.Answer[0].(*dns.A).A.String()) || !slices.Contains(ips, r.Answer[1].(*dns.A).A.String()) {
			t.Errorf("down response all: %s, want every member (fail open)", harness.Brief(r))
		}
		if r := cl.Query(t, "fallback."+zone, dns.TypeA); answerOf(r) != "192.0.2.99" {
			t.Errorf("down response fallback: %s, want 192.0.2.99", harness.Brief(r))
		}
		if r := cl.Query(t, "empty."+zone, dns.TypeA); r.Rcode != dns.RcodeSuccess || !r.Authoritative || len(r.Answer) != 0 {
			t.Errorf("down response empty: %s, want NOERROR, AA, no answer", harness.Brief(r))
		}
		if r := cl.Query(t, "servfail."+zone, dns.TypeA); r.Rcode != dns.RcodeServerFailure {
			t.Errorf("down response servfail: %s, want SERVFAIL", harness.Brief(r))
		}
	}

	a.Start()
	b.Start()
	for _, dr := range []string{"fallback", "empty", "servfail"} {
		harness.Eventually(t, waitTimeout, func() error { return members(dr + "." + zone) })
	}
}

// With fall 3, one failed probe (and then two in a row) changes nothing: the
// member stays up, in every answer cycle, and nothing is pushed.
func TestHealthNoFlapping(t *testing.T) {
	t.Parallel()
	// A long timeout: on a busy machine a slow probe would add a third
	// failure to the two injected ones, and the member would rightly go.
	const interval = time.Second
	ips := siteIPs(2)
	a := startSite(t, "A", ips[0], 0)
	startSite(t, "B", ips[1], a.port)
	st := healthStack(t, fmt.Sprintf(`records:
  - fqdn: hello.avi.iberia.local
    ttl: 2
    healthCheck: {port: %d, interval: %v, timeout: 800ms, rise: 2, fall: 3}
    members: [{address: %s}, {address: %s}]
`, a.port, interval, ips[0], ips[1]))
	for _, ip := range ips {
		st.awaitHealth(t, waitTimeout, hello, ip, gslbv1.Health_HEALTH_UP, "HTTP 200 from GET /")
	}
	serial := soaSerial(t, st.c.Addr)
	cl := harness.Dial(t, st.c.Addr, "udp")

	for _, n := range []int{1, 2} {
		a.failNextRequests(n)
		// Watch the answers until the failures were served and three more
		// intervals passed: time for a transition, had there been one.
		seen := map[string]int{}
		run := 0 // answers in a row without A
		var done time.Time
		deadline := time.Now().Add(waitTimeout)
		for done.IsZero() || time.Since(done) < 3*interval {
			if time.Now().After(deadline) {
				t.Fatalf("the site did not get the %d probe(s) to fail within %v", n, waitTimeout)
			}
			got := answerOf(cl.Query(t, hello, dns.TypeA))
			seen[got]++
			if got == ips[0] {
				run = 0
			} else if run++; run > 2 {
				t.Fatalf("%d failed probe(s): %d answers in a row without %s (answers %v)", n, run, ips[0], seen)
			}
			if _, _, pending := a.counts(); pending == 0 && done.IsZero() {
				done = time.Now()
			}
			time.Sleep(pause)
		}
		h, why, err := memberState(st.dump(t), hello, ips[0])
		if err != nil || h != gslbv1.Health_HEALTH_UP || why != "HTTP 200 from GET /" {
			t.Errorf("after %d failed probe(s): %v %q %v, want still UP", n, h, why, err)
		}
		if s := soaSerial(t, st.c.Addr); s != serial {
			t.Errorf("after %d failed probe(s) the table version went %d → %d: something was pushed", n, serial, s)
		}
		_, failed, _ := a.counts()
		t.Logf("%d failed probe(s) (503s served in all: %d): member stayed up, answers %v", n, failed, seen)
	}
	if strings.Contains(st.s.Log(), "to=down") {
		t.Errorf("the syncer logged a transition to down:\n%s", st.s.Log())
	}
}

// The time from a member going down to its last appearance in the answers,
// over 20 trials with interval 200ms, timeout 100ms, fall 3, rise 2.
func TestHealthFailoverLatency(t *testing.T) {
	t.Parallel()
	const (
		trials   = 20
		interval = 200 * time.Millisecond
		fall     = 3
	)
	ips := siteIPs(2)
	a := startSite(t, "A", ips[0], 0)
	startSite(t, "B", ips[1], a.port)
	st := healthStack(t, fmt.Sprintf(`records:
  - fqdn: hello.avi.iberia.local
    ttl: 2
    healthCheck: {port: %d, interval: %v, timeout: 100ms, rise: 2, fall: %d}
    members: [{address: %s}, {address: %s}]
`, a.port, interval, fall, ips[0], ips[1]))
	st.awaitHealth(t, waitTimeout, hello, ips[0], gslbv1.Health_HEALTH_UP, "")
	cl := harness.Dial(t, st.c.Addr, "udp")

	var gone, back []time.Duration
	for range trials {
		// At a random point of the probes' cycle: the watch of the last
		// trial ended a fixed time after a probe.
		time.Sleep(rand.N(interval))
		stopped := time.Now()
		a.Stop()
		_, last := st.watchUntil(t, cl, hello, ips[0], gslbv1.Health_HEALTH_DOWN, waitTimeout)
		if last.IsZero() {
			last = stopped
		}
		gone = append(gone, last.Sub(stopped))
		started := time.Now()
		a.Start()
		first, _ := st.watchUntil(t, cl, hello, ips[0], gslbv1.Health_HEALTH_UP, waitTimeout)
		if !first.IsZero() {
			back = append(back, first.Sub(started))
		}
	}
	p50, p99 := percentile(gone, 50), percentile(gone, 99)
	t.Logf("member down → last answered, %d trials (interval %v, timeout 100ms, fall %d): p50 %v, p99 %v, min %v, max %v",
		trials, interval, fall, p50.Round(time.Millisecond), p99.Round(time.Millisecond),
		slices.Min(gone).Round(time.Millisecond), slices.Max(gone).Round(time.Millisecond))
	if len(back) > 0 {
		t.Logf("member up → answered again (rise 2): p50 %v, p99 %v", percentile(back, 50).Round(time.Millisecond), percentile(back, 99).Round(time.Millisecond))
	}
	if limit := fall*interval + loadSlack; p99 > limit {
		t.Errorf("p99 %v, want within interval × fall + push on a loaded machine (%v)", p99, limit)
	}
}

// percentile is the nearest-rank percentile p of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

// The demo (`make run`): its sites are probed. A site frozen with kill -STOP
// times out and leaves the answers; one told to fail answers 503 and leaves
// them too; thawed and recovered, both come back. Ctrl-C stops the sites.
func TestDemoHealth(t *testing.T) {
	if harness.CanNetNS() {
		// Otherwise the demo's fixed ports are the host's: not beside TestDemoRunScript.
		t.Parallel()
	}
	script := filepath.Join(harness.RepoRoot(t), "corefile-examples", "demo", "run.sh")
	harness.Bin(t, "demosite")
	ns := demoNetNS(t)
	p := startDemo(t, script, ns)
	awaitDemo(t, p)
	out := p.Log()
	sitePids := map[string]int{}
	for _, m := range regexp.MustCompile(`site (\S+)\s+http://(\S+):8000/\s+demosite pid (\d+)`).FindAllStringSubmatch(out, -1) {
		sitePids[m[2]], _ = strconv.Atoi(m[3])
	}
	if len(sitePids) != 3 {
		t.Fatalf("run.sh names %d demo sites, want 3:\n%s", len(sitePids), out)
	}
	dir, _ := demoDirAndPids(t, out)
	api := harness.TableClient(t, filepath.Join(dir, "gslb.sock")) // unix sockets cross network namespaces
	state := func(ip string) (gslbv1.Health, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, recs, err := tablectl.Dump(ctx, api)
		if err != nil {
			t.Fatal(err)
		}
		h, why, err := memberState(recs, hello, ip)
		if err != nil {
			t.Fatal(err)
		}
		return h, why
	}
	for _, ip := range members {
		if h, why := state(ip); h != gslbv1.Health_HEALTH_UP {
			t.Fatalf("%s is %v (%q) at start, want UP", ip, h, why)
		}
	}
	// The site pages say where they are.
	code, body, err := demoHTTPGet(ns, "http://127.0.0.13:8000/")
	if err != nil || code != 200 || !strings.Contains(body, "This service resides in SITE2") {
		t.Errorf("the s2 site: %d %v %q", code, err, body)
	}

	cl := dialDemo(t, ns, "127.0.0.1:1053", "udp")
	answered := func(n int) map[string]int {
		seen := map[string]int{}
		for range n {
			r, err := cl.Exchange(hello, dns.TypeA)
			if err != nil {
				t.Fatal(err)
			}
			seen[answerOf(r)]++
		}
		return seen
	}
	start := time.Now()
	if err := syscall.Kill(sitePids[members[0]], syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	thawed := false
	defer func() {
		if !thawed {
			syscall.Kill(sitePids[members[0]], syscall.SIGCONT)
		}
	}()
	if code, _, err := demoHTTPGet(ns, "http://127.0.0.12:8000/fail"); err != nil || code != 200 {
		t.Fatalf("/fail: %d %v", code, err)
	}
	harness.Eventually(t, 30*time.Second, func() error {
		if seen := answered(12); seen[members[2]] != 12 {
			return fmt.Errorf("answers %v, want only %s", seen, members[2])
		}
		return nil
	})
	left := time.Since(start)
	t.Logf("frozen s1az1 and failing s1az2 left the answers after %v", left.Round(100*time.Millisecond))
	if left > 10*time.Second {
		t.Errorf("the default checks took %v to take the members out, want at most 10 s", left)
	}
	if h, why := state(members[0]); h != gslbv1.Health_HEALTH_DOWN || why != "timeout after 1s" {
		t.Errorf("frozen s1az1: %v %q, want DOWN, timeout after 1s", h, why)
	}
	if h, why := state(members[1]); h != gslbv1.Health_HEALTH_DOWN || why != "HTTP 503 from GET /" {
		t.Errorf("failing s1az2: %v %q, want DOWN, HTTP 503 from GET /", h, why)
	}

	start = time.Now()
	syscall.Kill(sitePids[members[0]], syscall.SIGCONT)
	thawed = true
	if code, _, err := demoHTTPGet(ns, "http://127.0.0.12:8000/recover"); err != nil || code != 200 {
		t.Fatalf("/recover: %d %v", code, err)
	}
	harness.Eventually(t, 30*time.Second, func() error {
		if seen := answered(12); seen[members[0]] != 6 || seen[members[1]] != 4 || seen[members[2]] != 2 {
			return fmt.Errorf("answers %v, want 6:4:2 again", seen)
		}
		return nil
	})
	t.Logf("both back in the answers after %v", time.Since(start).Round(100*time.Millisecond))

	p.Signal(os.Interrupt)
	if code := p.Wait(30 * time.Second); code != 0 {
		t.Errorf("run.sh exited with status %d on Ctrl-C, want 0\n%s", code, p.Tail(20))
	}
	for ip, pid := range sitePids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("the site of %s (pid %d) still exists after Ctrl-C (%v)", ip, pid, err)
		}
	}
}
