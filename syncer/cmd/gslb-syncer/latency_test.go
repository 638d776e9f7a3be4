package main

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/gslbdns/gslb/syncer/health"
	"github.com/prometheus/client_golang/prometheus"
)

// histogram returns the count and sum of gslb_syncer_event_to_ack_seconds
// for target and cause.
func histogram(t *testing.T, reg *prometheus.Registry, target, cause string) (uint64, float64) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "gslb_syncer_event_to_ack_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["target"] == target && labels["cause"] == cause {
				return m.GetHistogram().GetSampleCount(), m.GetHistogram().GetSampleSum()
			}
		}
	}
	t.Fatalf("no series for target %q, cause %q", target, cause)
	return 0, 0
}

// latencyRig drives an ackLatency with generations of its own.
type latencyRig struct {
	t       *testing.T
	reg     *prometheus.Registry
	l       *ackLatency
	t0      time.Time
	gen     uint64   // the prober's last generation
	pushGen []uint64 // each pusher's last generation
}

func newLatencyRig(t *testing.T, targets ...string) *latencyRig {
	reg := prometheus.NewRegistry()
	return &latencyRig{t: t, reg: reg, l: newAckLatency(reg, targets), t0: time.Unix(1000, 0), gen: 1, pushGen: make([]uint64, len(targets))}
}

// at is t0 + ms milliseconds.
func (r *latencyRig) at(ms int) time.Time { return r.t0.Add(time.Duration(ms) * time.Millisecond) }

// change is a source change noticed at ms.
func (r *latencyRig) change(ms int) uint64 {
	r.gen++
	r.l.sourceChanged(r.at(ms), r.gen)
	return r.gen
}

// publish gives the table of the prober's current generation (with a
// transition seen at healthMs, if not negative) to every pusher.
func (r *latencyRig) publish(healthMs int) {
	tab := health.Table{Generation: r.gen}
	if healthMs >= 0 {
		tab.HealthSince = r.at(healthMs)
	}
	for i := range r.pushGen {
		r.pushGen[i]++
		r.l.published(i, tab, r.pushGen[i])
	}
}

// want checks the count and sum (in seconds) of target's series of cause.
func (r *latencyRig) want(target, cause string, count uint64, sum float64) {
	r.t.Helper()
	n, s := histogram(r.t, r.reg, target, cause)
	if n != count || math.Abs(s-sum) > 1e-9 {
		r.t.Errorf("%s %s: %d observations summing to %gs, want %d summing to %gs", target, cause, n, s, count, sum)
	}
}

func TestAckLatency(t *testing.T) {
	r := newLatencyRig(t, "a", "b")
	// The start-up table is no change.
	r.publish(-1)
	r.l.acked(0, 1, r.at(0))
	r.want("a", causeSource, 0, 0)

	// A change at 100 ms, acknowledged by a at 150 ms and b at 400 ms.
	r.change(100)
	r.publish(-1)
	r.l.acked(0, 2, r.at(150))
	r.want("a", causeSource, 1, 0.05)
	r.want("b", causeSource, 0, 0)
	r.l.acked(1, 2, r.at(400))
	r.want("b", causeSource, 1, 0.3)

	// Two changes, two tables; a acknowledges only the second (the pusher
	// skipped the first): both are observed, each from its own time.
	r.change(1000)
	r.publish(-1)
	r.change(1200)
	r.publish(-1)
	r.l.acked(0, 4, r.at(1500))
	r.want("a", causeSource, 3, 0.05+0.5+0.3)

	// Two changes in one table (the prober coalesced them): both observed.
	r.change(2000)
	r.change(2100)
	r.publish(-1)
	r.l.acked(1, 5, r.at(2500))
	r.want("b", causeSource, 5, 0.3+1.5+1.3+0.5+0.4)
	r.l.acked(0, 5, r.at(2500))
	r.want("a", causeSource, 5, 0.05+0.5+0.3+0.5+0.4)

	// A health transition seen at 3000, acknowledged at 3050: once per
	// table, from its time; and no source change.
	r.publish(3000)
	r.l.acked(0, 6, r.at(3050))
	r.want("a", causeHealth, 1, 0.05)
	r.want("a", causeSource, 5, 0.05+0.5+0.3+0.5+0.4)

	// Acknowledging again changes nothing.
	r.l.acked(0, 6, r.at(9000))
	r.want("a", causeHealth, 1, 0.05)
	r.want("a", causeSource, 5, 0.05+0.5+0.3+0.5+0.4)

	// The changes every target observed are forgotten, not the others.
	if n := len(r.l.changes); n != 0 {
		t.Errorf("%d changes remembered, want 0: both targets observed all", n)
	}
	r.change(4000)
	r.publish(-1)
	r.l.acked(0, 7, r.at(4001))
	if n := len(r.l.changes); n != 1 {
		t.Errorf("%d changes remembered, want 1 (b has not observed it)", n)
	}
}

// While a plugin does not acknowledge, memory stays bounded: the newest
// entries are merged, each merged one measured from its earliest time.
func TestAckLatencyBounded(t *testing.T) {
	r := newLatencyRig(t, "a")
	const n = 3 * maxPending
	for i := range n {
		r.change(i)
		r.publish(i)
	}
	if len(r.l.changes) != maxPending || len(r.l.targets[0].pending) != maxPending {
		t.Fatalf("%d changes and %d tables pending, want %d each", len(r.l.changes), len(r.l.targets[0].pending), maxPending)
	}
	r.l.acked(0, n, r.at(n))
	// maxPending observations: the first maxPending-1 from their own time,
	// the last one (all the later ones merged) from the earliest of those.
	var sum float64
	for i := range maxPending {
		sum += float64(n-i) / 1000
	}
	r.want("a", causeSource, maxPending, sum)
	r.want("a", causeHealth, maxPending, sum)
	if len(r.l.changes) != 0 || len(r.l.targets[0].pending) != 0 {
		t.Errorf("%d changes and %d tables left after the acknowledgement", len(r.l.changes), len(r.l.targets[0].pending))
	}
}

// The calls are made beside the data path, not around it: a plugin may
// acknowledge a table before its change and the table itself are recorded.
// Such changes are observed as soon as they are recorded, at that
// acknowledgement, once.
func TestAckLatencyAckedBeforeRecorded(t *testing.T) {
	r := newLatencyRig(t, "a", "b")
	r.publish(-1)
	r.l.acked(0, 1, r.at(0))
	r.l.acked(1, 1, r.at(0))

	// The prober took in generation 2 (a change at 100 ms) and published
	// it with a transition at 50 ms; a acknowledged it at 300 ms before
	// any of this was recorded; b acknowledges at 500 ms, in order.
	r.gen++
	r.pushGen[0]++
	r.l.acked(0, r.pushGen[0], r.at(300))
	r.l.published(0, health.Table{Generation: r.gen, HealthSince: r.at(50)}, r.pushGen[0])
	r.l.sourceChanged(r.at(100), r.gen)
	r.want("a", causeHealth, 1, 0.25)
	r.want("a", causeSource, 1, 0.2)
	r.pushGen[1]++
	r.l.published(1, health.Table{Generation: r.gen, HealthSince: r.at(50)}, r.pushGen[1])
	r.l.acked(1, r.pushGen[1], r.at(500))
	r.want("b", causeHealth, 1, 0.45)
	r.want("b", causeSource, 1, 0.4)

	// Acknowledged by both before it was recorded: observed, not remembered.
	r.gen++
	for i := range r.pushGen {
		r.pushGen[i]++
		r.l.acked(i, r.pushGen[i], r.at(700))
		r.l.published(i, health.Table{Generation: r.gen}, r.pushGen[i])
	}
	r.l.sourceChanged(r.at(600), r.gen)
	r.want("a", causeSource, 2, 0.3)
	r.want("b", causeSource, 2, 0.5)
	if n := len(r.l.changes); n != 0 {
		t.Errorf("%d changes remembered, want 0", n)
	}
}

// The series exist from the start, for every target and cause.
func TestAckLatencySeries(t *testing.T) {
	r := newLatencyRig(t, "unix:///a.sock", "tcp://dns1:9053")
	for _, target := range []string{"unix:///a.sock", "tcp://dns1:9053"} {
		for _, cause := range []string{causeSource, causeHealth} {
			t.Run(fmt.Sprint(target, cause), func(t *testing.T) { r.want(target, cause, 0, 0) })
		}
	}
}
