package main

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/gslbdns/gslb/syncer/health"
	"github.com/gslbdns/gslb/syncer/push"
	"github.com/prometheus/client_golang/prometheus"
)

// maxPending bounds what ackLatency remembers while a plugin does not
// acknowledge: the source changes not yet observed for every target, and
// each target's tables not yet acknowledged. Past it the newest entries are
// merged (see ackLatency), so that memory stays bounded however long a
// plugin is away.
const maxPending = 1024

// The causes of a change.
const (
	causeSource = "source" // the source's table changed
	causeHealth = "health" // a probe changed a member's health
)

// ackLatency measures gslb_syncer_event_to_ack_seconds: the time from a
// change to the moment a plugin acknowledged a table that includes it.
//
// A source change is dated by the source (since) and numbered by the
// prober's Update that took it in (a prober generation). A table the prober
// publishes includes every Update up to its Generation, and the health
// transitions seen since the table before (the earliest at HealthSince).
// Given to a pusher, the table gets the pusher's generation; once the
// pusher's acknowledged generation reaches it, the changes the table
// includes are observed for that target, each once: a later
// acknowledgement covers every earlier table, including those the pusher
// skipped because a newer one replaced them.
//
// Source changes are observed one by one, health transitions once per
// table that first shows them (from the earliest). Beyond maxPending
// entries, a new source change is merged into the newest one remembered,
// and a new table into the newest one pending; a merged entry is measured
// from its earliest time to the acknowledgement of its latest table.
type ackLatency struct {
	mu      sync.Mutex
	changes []sourceChange // not yet observed for every target, by generation
	targets []*ackTarget
}

// sourceChange is a change of the source.
type sourceChange struct {
	gen   uint64 // the prober's generation that took it in
	since time.Time
}

// ackTarget is one plugin's side.
type ackTarget struct {
	source, health prometheus.Observer
	pending        []pendingTable // given to the pusher, not yet acknowledged, by pusher generation
	observed       uint64         // the source changes up to this prober generation are observed
	ackedGen       uint64         // the pusher's last acknowledged generation
	ackedAt        time.Time      // and when
}

// pendingTable is a table given to a pusher.
type pendingTable struct {
	pushGen, proberGen uint64
	healthSince        time.Time // zero: no transition
}

// newAckLatency registers the histogram with reg, with a series for each
// target and cause from the start.
func newAckLatency(reg prometheus.Registerer, targets []string) *ackLatency {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "gslb_syncer_event_to_ack_seconds",
		Help: "Time from a change to a plugin's acknowledgement of a table that includes it, by plugin (target) " +
			"and cause: source (from when the source noticed the change) or health (from the probe result that changed a member's health).",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
	}, []string{"target", "cause"})
	reg.MustRegister(h)
	l := &ackLatency{}
	for _, t := range targets {
		l.targets = append(l.targets, &ackTarget{source: h.WithLabelValues(t, causeSource), health: h.WithLabelValues(t, causeHealth)})
	}
	return l
}

// sourceChanged records a change of the source noticed at since, taken in
// by the prober's Update that returned generation gen. A target whose
// acknowledgements already cover gen (the prober published and the plugin
// acknowledged before this call) observes it at once, at its last
// acknowledgement.
func (l *ackLatency) sourceChanged(since time.Time, gen uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	pending := false
	for _, t := range l.targets {
		if t.observed >= gen {
			t.source.Observe(seconds(t.ackedAt.Sub(since)))
		} else {
			pending = true
		}
	}
	if !pending {
		return
	}
	if n := len(l.changes); n >= maxPending {
		l.changes[n-1].gen = gen // keeps the earlier since
		return
	}
	l.changes = append(l.changes, sourceChange{gen: gen, since: since})
}

// published records that tab was given to the pusher of target i, whose
// Update returned generation pushGen. A table already acknowledged (before
// this call) is observed at once, at the last acknowledgement.
func (l *ackLatency) published(i int, tab health.Table, pushGen uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := l.targets[i]
	p := pendingTable{pushGen: pushGen, proberGen: tab.Generation, healthSince: tab.HealthSince}
	if pushGen <= t.ackedGen {
		l.observeLocked(t, []pendingTable{p}, t.ackedAt)
		return
	}
	if n := len(t.pending); n >= maxPending {
		last := &t.pending[n-1]
		last.pushGen, last.proberGen = p.pushGen, max(last.proberGen, p.proberGen)
		if last.healthSince.IsZero() || (!p.healthSince.IsZero() && p.healthSince.Before(last.healthSince)) {
			last.healthSince = p.healthSince
		}
		return
	}
	t.pending = append(t.pending, p)
}

// acked records that the pusher of target i had generation gen
// acknowledged at at, and observes the changes that acknowledgement covers.
func (l *ackLatency) acked(i int, gen uint64, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := l.targets[i]
	t.ackedGen, t.ackedAt = gen, at
	n := 0
	for n < len(t.pending) && t.pending[n].pushGen <= gen {
		n++
	}
	l.observeLocked(t, t.pending[:n], at)
	t.pending = slices.Delete(t.pending, 0, n)
}

// observeLocked observes, for target t, the changes the acknowledged tables
// include: their health transitions, and the source changes not observed yet.
func (l *ackLatency) observeLocked(t *ackTarget, tables []pendingTable, at time.Time) {
	covered := t.observed
	for _, p := range tables {
		covered = max(covered, p.proberGen)
		if !p.healthSince.IsZero() {
			t.health.Observe(seconds(at.Sub(p.healthSince)))
		}
	}
	if covered == t.observed {
		return
	}
	for _, c := range l.changes {
		if c.gen > covered {
			break
		}
		if c.gen > t.observed {
			t.source.Observe(seconds(at.Sub(c.since)))
		}
	}
	t.observed = covered
	l.forgetLocked()
}

// forgetLocked forgets the source changes every target has observed.
func (l *ackLatency) forgetLocked() {
	done := l.targets[0].observed
	for _, o := range l.targets {
		done = min(done, o.observed)
	}
	k := 0
	for k < len(l.changes) && l.changes[k].gen <= done {
		k++
	}
	l.changes = slices.Delete(l.changes, 0, k)
}

// seconds is d in seconds, never negative (the source's clock may differ).
func seconds(d time.Duration) float64 { return max(d, 0).Seconds() }

// followAcks calls onAck with each generation p's plugin acknowledges and
// when, until ctx ends. Acknowledgements that come faster than onAck
// returns are seen as the latest one, which covers the others.
func followAcks(ctx context.Context, p *push.Pusher, onAck func(gen uint64, at time.Time)) {
	var last uint64
	for {
		s, err := p.WaitFor(ctx, func(s push.Stats) bool { return s.AckedGeneration > last })
		if err != nil {
			return
		}
		last = s.AckedGeneration
		onAck(last, s.AckedAt)
	}
}
