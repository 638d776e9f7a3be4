package push

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/internal/clock"
	"github.com/gslbdns/gslb/syncer/internal/fakeplugin"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// testDeadline bounds every wait, generously: the 100k test takes 20 s under
// the race detector on a busy machine. The waits end as soon as their
// condition holds.
const testDeadline = 2 * time.Minute

// testLogger logs to t.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(b), "\n"))
	return len(b), nil
}

// harness is a Pusher on a fake clock, running against a fake plugin on a
// unix socket.
type harness struct {
	t     *testing.T
	ctx   context.Context
	sock  string
	srv   *fakeplugin.Server
	clk   *clock.Fake
	p     *Pusher
	dials atomic.Int64
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{t: t, sock: filepath.Join(t.TempDir(), "gslb.sock"), clk: clock.NewFake(time.Unix(1e9, 0))}
	var cancelDeadline context.CancelFunc
	h.ctx, cancelDeadline = context.WithTimeout(context.Background(), testDeadline)
	t.Cleanup(cancelDeadline)
	h.startServer()

	var d net.Dialer
	p, err := New("unix://"+h.sock, Options{
		Logger: testLogger(t),
		Clock:  h.clk,
		Rand:   func() float64 { return 0.5 }, // no jitter: backoff delays are exact
		Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
			h.dials.Add(1)
			if network != "unix" || address != h.sock {
				return nil, fmt.Errorf("dial %s %s, want unix %s", network, address, h.sock)
			}
			return d.DialContext(ctx, network, address)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	h.p = p
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run returned %v", err)
		}
		h.srv.Close()
	})
	return h
}

// startServer starts a new, empty plugin on the socket.
func (h *harness) startServer() {
	h.t.Helper()
	srv, err := fakeplugin.Listen(h.sock)
	if err != nil {
		h.t.Fatal(err)
	}
	h.srv = srv
}

// update gives the pusher a table and waits until the plugin holds it.
func (h *harness) update(recs []*gslbv1.Record) uint64 {
	h.t.Helper()
	gen := h.p.Update(recs)
	if err := h.p.WaitAcked(h.ctx, gen); err != nil {
		h.t.Fatalf("table %d not acknowledged: %v; stats %+v", gen, err, h.p.Stats())
	}
	return gen
}

// waitFor waits until cond holds for the pusher's stats.
func (h *harness) waitFor(what string, cond func(Stats) bool) Stats {
	h.t.Helper()
	s, err := h.p.WaitFor(h.ctx, cond)
	if err != nil {
		h.t.Fatalf("waiting for %s: %v; stats %+v", what, err, s)
	}
	return s
}

// idle waits until the pusher waits on its timer (resync or backoff) and
// returns how long until it fires.
func (h *harness) idle() time.Duration {
	h.t.Helper()
	if err := h.clk.WaitForTimers(h.ctx, 1); err != nil {
		h.t.Fatalf("pusher never went idle; stats %+v", h.p.Stats())
	}
	return h.clk.Pending()[0]
}

// tick lets the pusher's timer run out once and waits until it is idle again.
func (h *harness) tick() {
	h.t.Helper()
	h.clk.Advance(h.idle())
	h.idle()
}

// wantApplies checks the kinds and codes of the applies the plugin received.
func (h *harness) wantApplies(want ...string) []fakeplugin.Apply {
	h.t.Helper()
	applies := h.srv.Applies()
	var got []string
	for _, a := range applies {
		s := strings.TrimPrefix(a.Kind.String(), "KIND_")
		if a.Code != codes.OK {
			s += " " + a.Code.String()
		}
		got = append(got, s)
	}
	if !slices.Equal(got, want) {
		h.t.Fatalf("applies %v, want %v", got, want)
	}
	return applies
}

// wantTable checks that the plugin holds exactly recs.
func (h *harness) wantTable(recs []*gslbv1.Record) {
	h.t.Helper()
	table := h.srv.Table()
	if len(table) != len(recs) {
		h.t.Fatalf("plugin holds %d records, want %d", len(table), len(recs))
	}
	for _, r := range recs {
		if !proto.Equal(table[r.GetFqdn()], r) {
			h.t.Fatalf("plugin holds %v for %s, want %v", table[r.GetFqdn()], r.GetFqdn(), r)
		}
	}
}

func tableOf(recs ...*gslbv1.Record) []*gslbv1.Record { return recs }

func TestPushFullThenDelta(t *testing.T) {
	h := newHarness(t)
	v1 := tableOf(record("a.example.", 1), record("b.example.", 1, 2), record("c.example.", 3))
	gen := h.update(v1)
	s := h.p.Stats()
	if gen != 1 || s.AckedVersion != 1 || s.FullPushes != 1 || s.DeltaPushes != 0 || s.AckedRecords != 3 || s.LastError != nil ||
		!s.AckedAt.Equal(h.clk.Now()) {
		t.Fatalf("after the first push: generation %d, stats %+v (now %v)", gen, s, h.clk.Now())
	}
	a := h.wantApplies("FULL")
	if a[0].BaseVersion != 0 || len(a[0].Upserts) != 3 {
		t.Errorf("first apply %v, want a FULL of 3 records", a[0])
	}
	h.wantTable(v1)
	if h.dials.Load() == 0 {
		t.Error("the injected dialer was not used")
	}

	// Only b changes: the delta carries b alone, against version 1.
	v2 := tableOf(record("a.example.", 1), record("b.example.", 1, 9), record("c.example.", 3))
	h.update(v2)
	a = h.wantApplies("FULL", "DELTA")
	if a[1].BaseVersion != 1 || !slices.Equal(a[1].Upserts, []string{"b.example."}) || len(a[1].Deletes) != 0 {
		t.Errorf("second apply %v, want a DELTA of b.example. against version 1", a[1])
	}
	h.wantTable(v2)

	// c goes, d comes.
	v3 := tableOf(record("a.example.", 1), record("b.example.", 1, 9), record("d.example.", 4))
	h.update(v3)
	a = h.wantApplies("FULL", "DELTA", "DELTA")
	if a[2].BaseVersion != 2 || !slices.Equal(a[2].Upserts, []string{"d.example."}) || !slices.Equal(a[2].Deletes, []string{"c.example."}) {
		t.Errorf("third apply %v, want d.example. upserted and c.example. deleted against version 2", a[2])
	}
	h.wantTable(v3)
	if s := h.p.Stats(); s.AckedVersion != 3 || s.FullPushes != 1 || s.DeltaPushes != 2 {
		t.Errorf("stats %+v", s)
	}
}

func TestPushNothingWhenInSync(t *testing.T) {
	h := newHarness(t)
	h.update(tableOf(record("a.example.", 1)))

	// The same content again, as new objects: acknowledged without a push,
	// at the time it was found held.
	h.clk.Advance(time.Millisecond) // not a timer's whole period: nothing fires
	gen := h.update(tableOf(record("a.example.", 1)))
	if s := h.p.Stats(); s.AckedGeneration != gen || s.AckedVersion != 1 || !s.AckedAt.Equal(h.clk.Now()) {
		t.Errorf("stats %+v, want generation %d acknowledged at %v", s, gen, h.clk.Now())
	}

	// Resync ticks check the version and push nothing.
	before := h.srv.StatusCalls()
	if d := h.idle(); d != DefaultResync {
		t.Errorf("idle pusher waits %v, want the resync interval %v", d, DefaultResync)
	}
	h.tick()
	h.tick()
	if n := h.srv.StatusCalls() - before; n != 2 {
		t.Errorf("%d Status calls in two resyncs, want 2", n)
	}
	h.wantApplies("FULL")
}

func TestPushFullOnVersionMismatch(t *testing.T) {
	h := newHarness(t)
	v1 := tableOf(record("a.example.", 1), record("b.example.", 2))
	h.update(v1)

	// Someone else pushed: the plugin's version moved on.
	h.srv.SetVersion(41)
	h.tick()
	s := h.waitFor("a second FULL", func(s Stats) bool { return s.FullPushes == 2 })
	if s.AckedVersion != 42 || s.AckedGeneration != 1 {
		t.Errorf("stats %+v, want version 42 of generation 1", s)
	}
	a := h.wantApplies("FULL", "FULL")
	if a[1].BaseVersion != 0 || len(a[1].Upserts) != 2 {
		t.Errorf("apply %v, want a FULL of 2 records", a[1])
	}
	h.wantTable(v1)
}

func TestPushFullAfterFailedPrecondition(t *testing.T) {
	h := newHarness(t)
	h.update(tableOf(record("a.example.", 1), record("b.example.", 2)))

	// The plugin moves on between Status and Apply: it refuses the delta.
	h.srv.RefuseNext(func(hd *gslbv1.ApplyHeader) error {
		if hd.GetKind() == gslbv1.Kind_KIND_DELTA {
			return status.Error(codes.FailedPrecondition, "version moved")
		}
		return nil
	})
	v2 := tableOf(record("a.example.", 1), record("b.example.", 7))
	h.update(v2)
	a := h.wantApplies("FULL", "DELTA FailedPrecondition", "FULL")
	if len(a[2].Upserts) != 2 {
		t.Errorf("apply %v, want a FULL of 2 records", a[2])
	}
	if s := h.p.Stats(); s.FullPushes != 2 || s.DeltaPushes != 0 || s.AckedVersion != 2 || s.LastError != nil {
		t.Errorf("stats %+v", s)
	}
	h.wantTable(v2)
}

func TestPushInvalidIsNotRetried(t *testing.T) {
	h := newHarness(t)
	good := tableOf(record("a.example.", 1))
	h.update(good)

	bad := tableOf(record("a.example.", 1), record("b.example.", gslbv1.MaxWeight+1))
	h.p.Update(bad)
	s := h.waitFor("the refusal", func(s Stats) bool { return s.LastError != nil })
	if status.Code(s.LastError) != codes.InvalidArgument || !strings.Contains(s.LastError.Error(), `record "b.example."`) {
		t.Errorf("LastError %v, want InvalidArgument naming b.example.", s.LastError)
	}
	h.tick()
	h.tick()
	h.wantApplies("FULL", "DELTA InvalidArgument")
	if s := h.p.Stats(); s.LastError == nil || s.AckedVersion != 1 {
		t.Errorf("after resyncs: stats %+v; want the error kept and version 1", s)
	}
	h.wantTable(good)

	fixed := tableOf(record("a.example.", 1), record("b.example.", 1))
	h.update(fixed)
	h.wantApplies("FULL", "DELTA InvalidArgument", "DELTA")
	if s := h.p.Stats(); s.LastError != nil {
		t.Errorf("LastError %v after a good push", s.LastError)
	}
	h.wantTable(fixed)
}

// While the desired table is one the plugin refused, the plugin is still
// checked every resync: stopped, the stats say so (Unavailable, not the old
// refusal, so readiness that reads them is not stale); back without the
// table acknowledged before, it is forgotten and sent nothing.
func TestPushRefusedStillChecksPlugin(t *testing.T) {
	h := newHarness(t)
	h.update(tableOf(record("a.example.", 1)))
	h.p.Update(tableOf(record("b.example.", gslbv1.MaxWeight+1)))
	h.waitFor("the refusal", func(s Stats) bool { return status.Code(s.LastError) == codes.InvalidArgument })
	h.tick()
	if s := h.p.Stats(); status.Code(s.LastError) != codes.InvalidArgument || s.AckedVersion != 1 {
		t.Fatalf("plugin up, table refused: stats %+v; want the refusal and version 1", s)
	}

	if err := h.srv.Close(); err != nil {
		t.Fatal(err)
	}
	h.tick()
	if s := h.p.Stats(); status.Code(s.LastError) != codes.Unavailable {
		t.Fatalf("plugin stopped: LastError %v, want Unavailable", s.LastError)
	}

	h.startServer() // empty: the table acknowledged before is gone
	for status.Code(h.p.Stats().LastError) == codes.Unavailable {
		h.tick()
	}
	if s := h.p.Stats(); status.Code(s.LastError) != codes.InvalidArgument || s.AckedVersion != 0 || s.AckedRecords != 0 {
		t.Errorf("plugin back empty: stats %+v; want the refusal kept and nothing acknowledged", s)
	}
	h.wantApplies() // the new plugin got nothing: the desired table is the refused one
}

func TestPushReconnectsAfterRestart(t *testing.T) {
	h := newHarness(t)
	v1 := tableOf(record("a.example.", 1), record("b.example.", 2))
	h.update(v1)

	// The plugin restarts with an empty table.
	if err := h.srv.Close(); err != nil {
		t.Fatal(err)
	}
	h.startServer()
	for h.p.Stats().FullPushes < 2 {
		h.tick()
	}
	s := h.p.Stats()
	if s.AckedVersion != 1 || s.AckedGeneration != 1 || s.LastError != nil {
		t.Errorf("stats %+v, want version 1 of the new plugin", s)
	}
	h.wantApplies("FULL") // the new plugin's
	h.wantTable(v1)
}

func TestPushBacksOffWhilePluginIsDown(t *testing.T) {
	h := newHarness(t)
	if err := h.srv.Close(); err != nil {
		t.Fatal(err)
	}
	v1 := tableOf(record("a.example.", 1))
	h.p.Update(v1)
	h.waitFor("the first failure", func(s Stats) bool { return s.LastError != nil })

	ms := time.Millisecond
	for _, want := range []time.Duration{100 * ms, 200 * ms, 400 * ms, 800 * ms, 1600 * ms, 3200 * ms, 5000 * ms, 5000 * ms} {
		if got := h.idle(); got != want {
			t.Fatalf("waits %v before retrying, want %v", got, want)
		}
		if s := h.p.Stats(); status.Code(s.LastError) != codes.Unavailable {
			t.Fatalf("LastError %v, want Unavailable", s.LastError)
		}
		h.clk.Advance(want)
	}

	// An Update does not cut the backoff short: the retry comes when the
	// backoff ends, and waits a whole backoff again.
	h.idle()
	h.clk.Advance(2 * time.Second)
	h.p.Update(tableOf(record("a.example.", 1), record("b.example.", 1)))
	h.clk.Advance(3 * time.Second)
	if got := h.idle(); got != 5*time.Second {
		t.Fatalf("after an Update, waits %v, want the 5s backoff", got)
	}

	h.startServer()
	for h.p.Stats().FullPushes < 1 {
		h.tick()
	}
	// Back to resyncs, and the backoff starts from the beginning again.
	if got := h.idle(); got != DefaultResync {
		t.Errorf("waits %v after the push, want the resync interval", got)
	}
	if err := h.srv.Close(); err != nil {
		t.Fatal(err)
	}
	h.tick()
	if got := h.idle(); got != 100*ms {
		t.Errorf("first backoff after a success: %v, want 100ms", got)
	}
}

func TestPush100kRecordsInChunks(t *testing.T) {
	h := newHarness(t)
	const n = 100_000
	recs := make([]*gslbv1.Record, n)
	for i := range recs {
		// About 300 bytes each, so that 5,000 of them pass the 1 MiB mark
		// and both limits on a chunk come into play.
		recs[i] = &gslbv1.Record{
			Fqdn: fmt.Sprintf("app-%06d.gslb.example.", i),
			Ttl:  proto.Uint32(30),
			Members: []*gslbv1.Member{
				{Address: fmt.Sprintf("10.%d.%d.1", i>>8&255, i&255), Weight: 5, Cluster: "cluster-east-1", Site: "site-east", HealthReason: "http GET /healthz: 200 OK in 3ms from probe-1"},
				{Address: fmt.Sprintf("10.%d.%d.2", i>>8&255, i&255), Weight: 5, Cluster: "cluster-west-1", Site: "site-west", HealthReason: "http GET /healthz: 200 OK in 3ms from probe-1"},
				{Hostname: "fallback.gslb.example.", Weight: 1, Priority: 0},
			},
		}
	}
	h.update(recs)
	a := h.wantApplies("FULL")[0]
	if len(a.Upserts) != n {
		t.Fatalf("FULL carried %d records, want %d", len(a.Upserts), n)
	}
	if a.MaxMessage > DefaultMaxChunkBytes || a.MaxMessage >= 4<<20 {
		t.Errorf("largest chunk %d bytes, want at most %d", a.MaxMessage, DefaultMaxChunkBytes)
	}
	if a.Chunks < n/DefaultMaxChunkRecords+1 {
		t.Errorf("%d chunks for %d records of ~300 bytes, want more than %d", a.Chunks, n, n/DefaultMaxChunkRecords)
	}
	t.Logf("%d records in %d chunks, the largest %d bytes", n, a.Chunks, a.MaxMessage)
	if got := len(h.srv.Table()); got != n {
		t.Fatalf("plugin holds %d records, want %d", got, n)
	}

	// One change among 100k: a one-record delta.
	changed := slices.Clone(recs)
	changed[500] = proto.CloneOf(recs[500])
	changed[500].Members[0].Weight = 0
	h.update(changed)
	d := h.wantApplies("FULL", "DELTA")[1]
	if !slices.Equal(d.Upserts, []string{recs[500].Fqdn}) || d.Chunks != 1 {
		t.Errorf("delta %v, want %s alone in one chunk", d, recs[500].Fqdn)
	}
}

func TestRunTwice(t *testing.T) {
	h := newHarness(t)
	h.idle() // the harness's Run is running
	if err := h.p.Run(context.Background()); err == nil {
		t.Error("a second Run returned nil")
	}
}
