package health

import (
	"sync"
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
)

// watched collects what WatchDecisions gives.
type watched struct {
	mu    sync.Mutex
	calls [][]Decision
}

func (w *watched) add(ds []Decision) {
	w.mu.Lock()
	w.calls = append(w.calls, ds)
	w.mu.Unlock()
}

func (w *watched) get() [][]Decision {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([][]Decision(nil), w.calls...)
}

func targetKey(addr string) string { return Target{Address: addr, Check: testCheck}.Key() }

// The leader's side: the decided targets at once, then each transition,
// dated by the end of the probe that made it.
func TestWatchDecisions(t *testing.T) {
	const a, b = "127.0.0.11", "127.0.0.12"
	r := newRig(t, Options{}, []*gslbv1.Record{helloRecord("hello.example.", testCheck, a, b)})
	r.waitPublished(1)
	var w watched
	stop := r.p.WatchDecisions(w.add)
	first := w.get()
	if len(first) != 1 || len(first[0]) != 2 {
		t.Fatalf("first call %v, want both targets", first)
	}
	for _, d := range first[0] {
		if d.Health != gslbv1.Health_HEALTH_UP || d.Since.IsZero() {
			t.Errorf("snapshot %+v, want UP with a time", d)
		}
	}
	r.net.set(b, "HTTP 503 from GET /")
	probes := uint64(2)
	for range testCheck.Fall {
		probes += 2
		r.tick(testCheck.Interval, probes)
	}
	calls := w.get()
	if len(calls) != 2 || len(calls[1]) != 1 {
		t.Fatalf("calls %v, want the snapshot and one transition", calls)
	}
	if d := calls[1][0]; d.Target != targetKey(b) || d.Health != gslbv1.Health_HEALTH_DOWN || d.Reason != "HTTP 503 from GET /" || !d.Since.Equal(r.clk.Now()) {
		t.Errorf("transition %+v, want %s DOWN at %v", d, b, r.clk.Now())
	}
	stop()
	r.net.set(b, "")
	for range testCheck.Rise {
		probes += 2
		r.tick(testCheck.Interval, probes)
	}
	if n := len(w.get()); n != 2 {
		t.Errorf("%d calls after stop, want 2", n)
	}
}

// The follower's side: no probes; the leader's decisions make the table,
// dated by the leader; decisions for targets not in the table yet apply
// when they come; probing again starts from the leader's health.
func TestFollowApply(t *testing.T) {
	const a, b, c = "127.0.0.11", "127.0.0.12", "127.0.0.13"
	r := newRigWith(t, Options{InitialWait: time.Second}, []*gslbv1.Record{helloRecord("hello.example.", testCheck, a, b)},
		func(r *rig) { r.p.Follow(true) })
	decided := r.clk.Now().Add(-300 * time.Millisecond)
	r.p.Apply([]Decision{
		{Target: targetKey(a), Health: gslbv1.Health_HEALTH_UP, Reason: "HTTP 200 from GET /", Since: decided},
		{Target: targetKey(b), Health: gslbv1.Health_HEALTH_DOWN, Reason: "timeout after 500ms", Since: decided},
		{Target: targetKey(c), Health: gslbv1.Health_HEALTH_DOWN, Reason: "connect: connection refused", Since: decided},
	}, true)
	recs := r.waitTable("b down", func(recs []*gslbv1.Record) bool {
		if recs == nil {
			return false
		}
		h, _ := member(t, recs, "hello.example.", b)
		return h == gslbv1.Health_HEALTH_DOWN
	})
	if h, _ := member(t, recs, "hello.example.", a); h != gslbv1.Health_HEALTH_UP {
		t.Errorf("a is %v, want UP", h)
	}
	for range 3 {
		r.clk.Advance(testCheck.Interval)
	}
	if s := r.p.Stats(); s.Probes != 0 || s.Unprobed != 0 {
		t.Errorf("following: %+v, want no probe and every target decided", s)
	}
	// c comes with the source's next table: DOWN at once, from the leader.
	r.p.Update([]*gslbv1.Record{helloRecord("hello.example.", testCheck, a, b, c)})
	r.waitTable("c down", func(recs []*gslbv1.Record) bool {
		if len(recs[0].GetMembers()) != 3 {
			return false
		}
		h, _ := member(t, recs, "hello.example.", c)
		return h == gslbv1.Health_HEALTH_DOWN
	})
	// A change: b up again, the table dated by the leader's decision.
	again := r.clk.Now().Add(-100 * time.Millisecond)
	n := r.published()
	r.p.Apply([]Decision{{Target: targetKey(b), Health: gslbv1.Health_HEALTH_UP, Reason: "HTTP 200 from GET /", Since: again}}, false)
	r.waitPublished(uint64(n + 1))
	if tab := r.table(n + 1); !tab.HealthSince.Equal(again) {
		t.Errorf("HealthSince %v, want the leader's %v", tab.HealthSince, again)
	}
	// A full state (a new stream) is not dated: its decisions may be old.
	n = r.published()
	r.p.Apply([]Decision{{Target: targetKey(b), Health: gslbv1.Health_HEALTH_DOWN, Reason: "timeout after 500ms", Since: again}}, true)
	r.waitPublished(uint64(n + 1))
	if tab := r.table(n + 1); !tab.HealthSince.IsZero() {
		t.Errorf("a table of a full state is dated %v, want no date", tab.HealthSince)
	}
	// Alone: every target probed at once, from the leader's health (c stays
	// down until rise probes pass).
	r.net.set(c, "connect: connection refused")
	r.p.Follow(false)
	r.waitProbes(3)
	r.p.Apply([]Decision{{Target: targetKey(a), Health: gslbv1.Health_HEALTH_DOWN, Since: again}}, false)
	if h, _ := member(t, r.last(), "hello.example.", a); h != gslbv1.Health_HEALTH_UP {
		t.Errorf("a is %v after an Apply while probing, want UP (ignored)", h)
	}
	if h, reason := member(t, r.last(), "hello.example.", c); h != gslbv1.Health_HEALTH_DOWN || reason != "connect: connection refused" {
		t.Errorf("c is %v %q, want DOWN", h, reason)
	}
}

// The key names the whole check: two checks of one address differ.
func TestTargetKey(t *testing.T) {
	other := testCheck
	other.Path = "/other"
	k1, k2 := targetKey("127.0.0.11"), Target{Address: "127.0.0.11", Check: other}.Key()
	if k1 == k2 || k1 != targetKey("127.0.0.11") {
		t.Errorf("keys %q and %q", k1, k2)
	}
}
