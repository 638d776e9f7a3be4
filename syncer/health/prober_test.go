package health

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/internal/clock"
)

const testDeadline = 30 * time.Second

// fakeNet is the probe of the tests: every target answers well unless told
// otherwise, by address or by "address path".
type fakeNet struct {
	mu          sync.Mutex
	fail        map[string]string        // address → the reason of its failures
	hang        map[string]chan struct{} // address → hangs until closed (or the deadline)
	calls       map[string]int           // address → probes
	inflight    int
	maxInflight int
	noDeadline  bool // a probe came without a deadline
}

func newFakeNet() *fakeNet {
	return &fakeNet{fail: map[string]string{}, hang: map[string]chan struct{}{}, calls: map[string]int{}}
}

func (f *fakeNet) probe(ctx context.Context, t Target) Result {
	f.mu.Lock()
	f.calls[t.Address]++
	f.inflight++
	f.maxInflight = max(f.maxInflight, f.inflight)
	if d, ok := ctx.Deadline(); !ok || time.Until(d) > t.Check.Timeout {
		f.noDeadline = true
	}
	reason, failing := f.fail[t.Address]
	if !failing {
		reason, failing = f.fail[t.Address+" "+t.Check.Path]
	}
	hang := f.hang[t.Address]
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inflight--
		f.mu.Unlock()
	}()
	if hang != nil {
		select {
		case <-hang:
		case <-ctx.Done():
			return Result{Reason: "timeout after " + t.Check.Timeout.String()}
		}
	}
	if failing {
		return Result{Reason: reason}
	}
	if t.Check.Type == TypeTCP {
		return Result{OK: true, Reason: "TCP connect ok"}
	}
	return Result{OK: true, Reason: fmt.Sprintf("HTTP 200 from %s %s", t.Check.Method, t.Check.Path)}
}

func (f *fakeNet) set(addr, reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if reason == "" {
		delete(f.fail, addr)
	} else {
		f.fail[addr] = reason
	}
}

// waitCalls polls until addr has been probed n times, or ctx ends.
func (f *fakeNet) waitCalls(ctx context.Context, t *testing.T, addr string, n int) {
	t.Helper()
	for f.callsOf(addr) < n {
		select {
		case <-ctx.Done():
			t.Fatalf("%s probed %d times, want %d", addr, f.callsOf(addr), n)
		case <-time.After(time.Millisecond):
		}
	}
}

func (f *fakeNet) callsOf(addr string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[addr]
}

// rig runs a Prober on a fake clock and keeps the tables it publishes.
type rig struct {
	t   *testing.T
	ctx context.Context
	clk *clock.Fake
	net *fakeNet
	p   *Prober

	mu     sync.Mutex
	tables [][]*gslbv1.Record
	meta   []Table // the tables as published, with their generation and times
}

func newRig(t *testing.T, opts Options, records []*gslbv1.Record) *rig {
	t.Helper()
	return newRigWith(t, opts, records, nil)
}

// newRigWith is newRig with prepare called between the first Update and Run.
func newRigWith(t *testing.T, opts Options, records []*gslbv1.Record, prepare func(*rig)) *rig {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	r := &rig{t: t, ctx: ctx, clk: clock.NewFake(time.Unix(1_000_000, 0)), net: newFakeNet()}
	opts.Clock = r.clk
	opts.Probe = r.net.probe
	opts.Rand = func() float64 { return 0 }
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	r.p = New(opts)
	r.p.Update(records)
	if prepare != nil {
		prepare(r)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.p.Run(ctx, func(tab Table) {
			r.mu.Lock()
			r.tables = append(r.tables, tab.Records)
			r.meta = append(r.meta, tab)
			r.mu.Unlock()
		})
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return r
}

// waitProbes waits until n probes have completed in all.
func (r *rig) waitProbes(n uint64) {
	r.t.Helper()
	if s, err := r.p.WaitFor(r.ctx, func(s Stats) bool { return s.Probes >= n }); err != nil {
		r.t.Fatalf("waiting for %d probes: %v (stats %+v)", n, err, s)
	}
}

// waitPublished waits until n tables have been published and returns the last.
func (r *rig) waitPublished(n uint64) []*gslbv1.Record {
	r.t.Helper()
	if s, err := r.p.WaitFor(r.ctx, func(s Stats) bool { return s.Published >= n }); err != nil {
		r.t.Fatalf("waiting for table %d: %v (stats %+v)", n, err, s)
	}
	return r.last()
}

// waitTable waits until the last table published satisfies cond, and returns it.
func (r *rig) waitTable(what string, cond func([]*gslbv1.Record) bool) []*gslbv1.Record {
	r.t.Helper()
	if _, err := r.p.WaitFor(r.ctx, func(Stats) bool { return cond(r.last()) }); err != nil {
		r.t.Fatalf("waiting for %s: %v (last table %v)", what, err, r.last())
	}
	return r.last()
}

func (r *rig) last() []*gslbv1.Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.tables) == 0 {
		return nil
	}
	return r.tables[len(r.tables)-1]
}

// table returns the n-th table published, from 1.
func (r *rig) table(n int) Table {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n < 1 || n > len(r.meta) {
		r.t.Fatalf("table %d of %d", n, len(r.meta))
	}
	return r.meta[n-1]
}

func (r *rig) published() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.tables)
}

// tick advances the clock by d and waits until the probes total n.
func (r *rig) tick(d time.Duration, probes uint64) {
	r.t.Helper()
	r.clk.Advance(d)
	r.waitProbes(probes)
}

// member finds a member's health in a table.
func member(t *testing.T, recs []*gslbv1.Record, fqdn, addr string) (gslbv1.Health, string) {
	t.Helper()
	for _, r := range recs {
		if r.GetFqdn() != fqdn {
			continue
		}
		for _, m := range r.GetMembers() {
			if m.GetAddress() == addr || m.GetHostname() == addr {
				return m.GetHealth(), m.GetHealthReason()
			}
		}
	}
	t.Fatalf("no member %s of %s in %v", addr, fqdn, recs)
	return 0, ""
}

var testCheck = Check{Type: TypeHTTP, Interval: time.Second, Timeout: 500 * time.Millisecond, Rise: 2, Fall: 3}.WithDefaults("hello.example.")

// helloRecord is hello.example. with members at addrs, all probed by c.
func helloRecord(fqdn string, c Check, addrs ...string) *gslbv1.Record {
	r := &gslbv1.Record{Fqdn: fqdn}
	for _, a := range addrs {
		r.Members = append(r.Members, &gslbv1.Member{Address: a, Weight: 1, Check: c.Proto()})
	}
	return r
}

func TestProberFallAndRise(t *testing.T) {
	rec := helloRecord("hello.example.", testCheck, "127.0.0.11", "127.0.0.12")
	r := newRig(t, Options{}, []*gslbv1.Record{rec})
	const a, b = "127.0.0.11", "127.0.0.12"

	// The first table waits for the first probes, and shows them.
	tab := r.waitPublished(1)
	if h, why := member(t, tab, "hello.example.", a); h != gslbv1.Health_HEALTH_UP || why != "HTTP 200 from GET /" {
		t.Fatalf("first table: %v %q, want UP", h, why)
	}
	if r.net.noDeadline {
		t.Error("a probe ran without its timeout as deadline")
	}

	r.net.set(a, "HTTP 503 from GET /")
	probes := uint64(2)
	for i := 1; i < testCheck.Fall; i++ {
		probes += 2
		r.tick(testCheck.Interval, probes)
		if h, _ := member(t, r.last(), "hello.example.", a); h != gslbv1.Health_HEALTH_UP {
			t.Fatalf("after %d failures: %v, want still UP", i, h)
		}
	}
	if n := r.published(); n != 1 {
		t.Fatalf("%d tables published after %d failures, want no new one", n, testCheck.Fall-1)
	}
	probes += 2
	r.tick(testCheck.Interval, probes)
	tab = r.waitPublished(2)
	if h, why := member(t, tab, "hello.example.", a); h != gslbv1.Health_HEALTH_DOWN || why != "HTTP 503 from GET /" {
		t.Fatalf("after %d failures: %v %q, want DOWN with the reason", testCheck.Fall, h, why)
	}
	if h, _ := member(t, tab, "hello.example.", b); h != gslbv1.Health_HEALTH_UP {
		t.Errorf("the other member is %v", h)
	}

	// Back after rise successes, not before.
	r.net.set(a, "")
	for i := 1; i < testCheck.Rise; i++ {
		probes += 2
		r.tick(testCheck.Interval, probes)
		if h, _ := member(t, r.last(), "hello.example.", a); h != gslbv1.Health_HEALTH_DOWN {
			t.Fatalf("after %d successes: %v, want still DOWN", i, h)
		}
	}
	probes += 2
	r.tick(testCheck.Interval, probes)
	tab = r.waitPublished(3)
	if h, why := member(t, tab, "hello.example.", a); h != gslbv1.Health_HEALTH_UP || why != "HTTP 200 from GET /" {
		t.Fatalf("after %d successes: %v %q, want UP", testCheck.Rise, h, why)
	}
	if s := r.p.Stats(); s.Transitions != 4 || s.Failures != uint64(testCheck.Fall) {
		t.Errorf("stats %+v: want 4 transitions (2 unknown→up, down, up) and %d failures", s, testCheck.Fall)
	}
}

func TestProberNoFlapping(t *testing.T) {
	r := newRig(t, Options{}, []*gslbv1.Record{helloRecord("hello.example.", testCheck, "127.0.0.11")})
	r.waitPublished(1)
	probes := uint64(1)
	// Failures, each alone or in pairs, between successes: never fall in a row.
	for _, bad := range []bool{true, false, true, true, false, true, false, false, true, true} {
		if bad {
			r.net.set("127.0.0.11", "timeout after 500ms")
		} else {
			r.net.set("127.0.0.11", "")
		}
		probes++
		r.tick(testCheck.Interval, probes)
	}
	if n := r.published(); n != 1 {
		t.Errorf("%d tables published, want only the first", n)
	}
	if s := r.p.Stats(); s.Transitions != 1 {
		t.Errorf("%d transitions, want 1 (unknown → up)", s.Transitions)
	}
}

func TestProberUnknownStaysServedUntilFall(t *testing.T) {
	// The table is given before Run starts: else Run may publish the empty
	// one first.
	r := newRigWith(t, Options{}, nil, func(r *rig) {
		r.net.set("127.0.0.11", "connect: connection refused")
		r.p.Update([]*gslbv1.Record{helloRecord("hello.example.", testCheck, "127.0.0.11")})
	})
	tab := r.waitPublished(1)
	if h, why := member(t, tab, "hello.example.", "127.0.0.11"); h != gslbv1.Health_HEALTH_UNKNOWN || why != "" {
		t.Fatalf("after one failure: %v %q, want UNKNOWN (served)", h, why)
	}
	r.tick(testCheck.Interval, 2)
	r.tick(testCheck.Interval, 3)
	tab = r.waitPublished(2)
	if h, why := member(t, tab, "hello.example.", "127.0.0.11"); h != gslbv1.Health_HEALTH_DOWN || why != "connect: connection refused" {
		t.Fatalf("after fall failures: %v %q", h, why)
	}
}

func TestProberSharesTargets(t *testing.T) {
	c := testCheck
	c.Host = "shared.example"
	other := testCheck
	other.Path = "/other"
	recs := []*gslbv1.Record{
		helloRecord("a.example.", c, "127.0.0.11", "127.0.0.12"),
		helloRecord("b.example.", c, "127.0.0.11"),
		helloRecord("c.example.", other, "127.0.0.11"),
	}
	r := newRig(t, Options{}, recs)
	r.waitPublished(1)
	if s := r.p.Stats(); s.Targets != 3 {
		t.Fatalf("%d targets, want 3: .11 with two checks and .12", s.Targets)
	}
	if n := r.net.callsOf("127.0.0.11"); n != 2 {
		t.Errorf(".11 probed %d times in the first round, want 2 (one per distinct check)", n)
	}
	r.net.set("127.0.0.11", "HTTP 500 from GET /")
	for i := range testCheck.Fall {
		r.tick(testCheck.Interval, uint64(3*(i+2)))
	}
	r.waitTable(".11 down in every record", func(tab []*gslbv1.Record) bool {
		for _, fqdn := range []string{"a.example.", "b.example.", "c.example."} {
			if h, _ := member(t, tab, fqdn, "127.0.0.11"); h != gslbv1.Health_HEALTH_DOWN {
				return false
			}
		}
		return true
	})
	if s := r.p.Stats(); s.Transitions != 5 {
		t.Errorf("%d transitions, want 5: 3 × unknown→up, 2 × up→down", s.Transitions)
	}
}

func TestProberSourceHealth(t *testing.T) {
	rec := helloRecord("hello.example.", testCheck, "127.0.0.11", "127.0.0.12", "127.0.0.13")
	rec.Members[0].Health = gslbv1.Health_HEALTH_DOWN // administratively down
	rec.Members[0].HealthReason = "maintenance"
	rec.Members[1].Health = gslbv1.Health_HEALTH_UP
	rec.Members = append(rec.Members, &gslbv1.Member{Hostname: "lb.example.net.", Weight: 1, Check: testCheck.Proto()}) // a hostname is never probed
	// The failure is set before the prober runs: its first probe must fail.
	r := newRigWith(t, Options{}, []*gslbv1.Record{rec}, func(r *rig) { r.net.set("127.0.0.12", "HTTP 503 from GET /") })
	tab := r.waitPublished(1)
	if h, why := member(t, tab, "hello.example.", "127.0.0.11"); h != gslbv1.Health_HEALTH_DOWN || why != "maintenance" {
		t.Errorf("administratively down member: %v %q", h, why)
	}
	if h, why := member(t, tab, "hello.example.", "lb.example.net."); h != gslbv1.Health_HEALTH_UNKNOWN || why != "" {
		t.Errorf("hostname member: %v %q", h, why)
	}
	if n := r.net.callsOf("lb.example.net."); n != 0 {
		t.Errorf("a hostname was probed")
	}
	for i := range testCheck.Fall - 1 {
		r.tick(testCheck.Interval, uint64(3*(i+2)))
	}
	tab = r.waitPublished(2)
	if h, why := member(t, tab, "hello.example.", "127.0.0.12"); h != gslbv1.Health_HEALTH_DOWN || why != "HTTP 503 from GET /" {
		t.Errorf("a member the source says is up, whose probe fails: %v %q, want DOWN", h, why)
	}
	if rec.Members[1].GetHealth() != gslbv1.Health_HEALTH_UP {
		t.Error("the source's record was modified")
	}
}

func TestProberUpdateKeepsState(t *testing.T) {
	rec := helloRecord("hello.example.", testCheck, "127.0.0.11", "127.0.0.12")
	r := newRig(t, Options{}, []*gslbv1.Record{rec})
	r.waitPublished(1)
	r.net.set("127.0.0.11", "HTTP 503 from GET /")
	for i := range testCheck.Fall {
		r.tick(testCheck.Interval, uint64(2*(i+2)))
	}
	r.waitPublished(2)
	probes := r.p.Stats().Probes

	// A weight edit: the same targets, the state kept, published at once.
	edited := helloRecord("hello.example.", testCheck, "127.0.0.11", "127.0.0.12")
	edited.Members[1].Weight = 5
	r.p.Update([]*gslbv1.Record{edited})
	tab := r.waitPublished(3)
	if h, _ := member(t, tab, "hello.example.", "127.0.0.11"); h != gslbv1.Health_HEALTH_DOWN {
		t.Errorf("after an edit of the weights .11 is %v, want still DOWN", h)
	}
	if s := r.p.Stats(); s.Probes != probes || s.Targets != 2 {
		t.Errorf("the edit caused probes or targets: %+v", s)
	}

	// An edit of the check: a new target, which keeps the health until its
	// own probes decide (rise successes).
	c := testCheck
	c.Path = "/healthz"
	r.net.set("127.0.0.11", "")
	r.p.Update([]*gslbv1.Record{helloRecord("hello.example.", c, "127.0.0.11", "127.0.0.12")})
	r.waitProbes(probes + 2) // new targets are probed at once
	tab = r.waitPublished(4)
	if h, why := member(t, tab, "hello.example.", "127.0.0.11"); h != gslbv1.Health_HEALTH_DOWN || why != "HTTP 503 from GET /" {
		t.Errorf("after an edit of the check .11 is %v %q, want still DOWN until rise successes", h, why)
	}
	r.tick(c.Interval, probes+4)
	tab = r.waitPublished(5)
	if h, why := member(t, tab, "hello.example.", "127.0.0.11"); h != gslbv1.Health_HEALTH_UP || why != "HTTP 200 from GET /healthz" {
		t.Errorf("after rise successes of the new check: %v %q", h, why)
	}

	// A member removed is no longer probed.
	r.p.Update([]*gslbv1.Record{helloRecord("hello.example.", c, "127.0.0.12")})
	r.waitPublished(6)
	before := r.net.callsOf("127.0.0.11")
	r.tick(c.Interval, probes+5)
	r.tick(c.Interval, probes+6)
	if n := r.net.callsOf("127.0.0.11"); n != before {
		t.Errorf("a removed member was probed %d more times", n-before)
	}
	if s := r.p.Stats(); s.Targets != 1 {
		t.Errorf("%d targets, want 1", s.Targets)
	}
}

func TestProberUncheckedPassThrough(t *testing.T) {
	recs := []*gslbv1.Record{{Fqdn: "a.example.", Members: []*gslbv1.Member{{Address: "10.0.0.1", Health: gslbv1.Health_HEALTH_DOWN}}}}
	r := newRig(t, Options{}, recs)
	tab := r.waitPublished(1)
	if len(tab) != 1 || tab[0] != recs[0] {
		t.Errorf("published %v, want the source's record itself", tab)
	}
	if n := r.clk.ActiveTimers(); n > 1 {
		t.Errorf("%d timers without targets", n)
	}
}

// The pool bounds the probes in flight, and a hanging target does not hold
// the others up: they are probed on schedule while it hangs.
func TestProberPool(t *testing.T) {
	var addrs []string
	for i := range 6 {
		addrs = append(addrs, fmt.Sprintf("127.0.0.%d", 11+i))
	}
	c := testCheck
	c.Timeout = time.Hour // real time: the hang lasts until released
	c.Interval = 2 * time.Hour
	hang := make(chan struct{})
	r := newRigWith(t, Options{Workers: 3, InitialWait: time.Second}, nil, func(r *rig) {
		r.net.hang["127.0.0.11"] = hang
		r.p.Update([]*gslbv1.Record{helloRecord("hello.example.", c, addrs...)})
	})
	r.waitProbes(5)
	r.net.mu.Lock()
	maxIn := r.net.maxInflight
	r.net.mu.Unlock()
	if maxIn > 3 {
		t.Errorf("%d probes in flight, the pool has 3 workers", maxIn)
	}
	// The first table does not wait for the hanging target longer than
	// InitialWait. (Two timers: the schedule's and that wait's.)
	if err := r.clk.WaitForTimers(r.ctx, 2); err != nil {
		t.Fatal(err)
	}
	r.clk.Advance(time.Second)
	tab := r.waitPublished(1)
	if h, _ := member(t, tab, "hello.example.", "127.0.0.11"); h != gslbv1.Health_HEALTH_UNKNOWN {
		t.Errorf("hanging member %v, want UNKNOWN", h)
	}
	// The next round: the five others again, the hanging one skipped. (Its
	// first probe may still be on its way to the fake network: wait for it.)
	r.net.waitCalls(r.ctx, t, "127.0.0.11", 1)
	r.tick(c.Interval, 10)
	if n := r.net.callsOf("127.0.0.11"); n != 1 {
		t.Errorf("the hanging target was probed %d times, want 1 (no second probe while one runs)", n)
	}
	close(hang)
	r.waitProbes(11)
}

// Each table says which Update it reflects, and when the earliest
// transition it is the first to show was seen; the start-up's counts none.
func TestProberTableGenerationAndHealthSince(t *testing.T) {
	const a = "127.0.0.11"
	rec := helloRecord("hello.example.", testCheck, a)
	var gen uint64
	r := newRigWith(t, Options{}, nil, func(r *rig) { gen = r.p.Update([]*gslbv1.Record{rec}) })
	if gen != 2 { // newRig's Update of nil was the first
		t.Fatalf("Update returned %d, want 2", gen)
	}
	r.waitPublished(1)
	if tab := r.table(1); tab.Generation != 2 || !tab.HealthSince.IsZero() {
		t.Errorf("first table: generation %d, health since %v; want 2 and none (start-up, although unknown → up)", tab.Generation, tab.HealthSince)
	}

	r.net.set(a, "HTTP 503 from GET /")
	for i := range testCheck.Fall - 1 {
		r.tick(testCheck.Interval, uint64(i+2))
	}
	r.clk.Advance(testCheck.Interval)
	downAt := r.clk.Now()
	r.waitPublished(2)
	if tab := r.table(2); tab.Generation != 2 || !tab.HealthSince.Equal(downAt) {
		t.Errorf("table of the transition: generation %d, health since %v; want 2 and %v", tab.Generation, tab.HealthSince, downAt)
	}

	edited := helloRecord("hello.example.", testCheck, a)
	edited.Members[0].Weight = 7
	if gen := r.p.Update([]*gslbv1.Record{edited}); gen != 3 {
		t.Fatalf("Update returned %d, want 3", gen)
	}
	r.waitPublished(3)
	if tab := r.table(3); tab.Generation != 3 || !tab.HealthSince.IsZero() {
		t.Errorf("table of the edit: generation %d, health since %v; want 3 and none", tab.Generation, tab.HealthSince)
	}
}
