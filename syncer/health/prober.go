// This file is longer than 400 lines because it is one type, the Prober,
// whose fields are guarded by one lock: splitting it would spread that
// lock's invariants (targets, queue, dirty records) over several files.

// Package health probes the members of the GSLB table (HTTP, HTTPS or TCP),
// damps the results with rise and fall thresholds, and fills in each
// member's health and health_reason before the table is pushed.
//
// A Prober is given the desired table with the checks of its members
// (Update) and publishes the table with the health filled in (Run): at
// once after every Update, and at every transition of a member's health.
// The pusher then sends only the records that changed (a DELTA). Each
// published Table says which Update it reflects and when the earliest
// transition it is the first to show was seen, so that the caller can
// measure how long a change takes to reach the plugins.
//
// Seed carries the health over a restart: given the table a plugin serves,
// it starts the targets at the health it shows instead of UNKNOWN.
//
// The Prober exports its metrics (gslb_syncer_health_*) to
// Options.Registerer.
//
// One probe loop runs per target: a member's address with a check (whose
// port is the member's probe port). Members of several records that share
// the address and the check are probed once. Probes run on a bounded pool of
// workers, each within its check's timeout, so a slow target never holds
// the others up for longer than that.
package health

import (
	"container/heap"
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/internal/clock"
	"github.com/gslbdns/gslb/syncer/internal/observed"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"
)

// DefaultWorkers bounds the probes in flight. Each lasts at most its
// timeout, so with the default check (interval 2 s, timeout 1 s) even
// targets that all hang need half a worker each: 1,024 workers keep 2,048
// hanging targets on schedule, and any number of answering ones.
const DefaultWorkers = 1024

// Options tune a Prober. The zero value is what production uses.
type Options struct {
	// Workers bounds the probes in flight. Default DefaultWorkers.
	Workers int
	// Logger receives the transitions (info) and the probes (debug).
	// Default: slog.Default().
	Logger *slog.Logger
	// Clock schedules the probes. Default: the real clock. (A probe's own
	// deadline is always real time.)
	Clock clock.Clock
	// Dial opens the probes' connections. Default: a net.Dialer.
	Dial DialFunc
	// Probe runs one probe. Default: Probe over Dial.
	Probe ProbeFunc
	// Rand returns a number in [0, 1), to spread the targets' schedules.
	// Default: math/rand/v2.Float64.
	Rand func() float64
	// InitialWait bounds how long Run waits for the first result of every
	// target before it publishes the first table. Default: the longest
	// timeout of the checks plus 500 ms.
	InitialWait time.Duration
	// Registerer receives the Prober's metrics. Default: a registry of
	// their own, which nothing serves.
	Registerer prometheus.Registerer
}

func (o Options) withDefaults() Options {
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Clock == nil {
		o.Clock = clock.Real()
	}
	if o.Dial == nil {
		d := &net.Dialer{KeepAlive: -1}
		o.Dial = d.DialContext
	}
	if o.Probe == nil {
		dial := o.Dial
		o.Probe = func(ctx context.Context, t Target) Result { return Probe(ctx, dial, t) }
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	return o
}

// Stats describe a Prober's work.
type Stats struct {
	// Targets is how many targets are probed.
	Targets int
	// Probes counts the probes completed, Failures those that failed.
	Probes, Failures uint64
	// Transitions counts the changes of a target's health.
	Transitions uint64
	// Published counts the tables published.
	Published uint64
	// Unprobed is how many targets have no first result yet.
	Unprobed int
}

// Table is one table a Prober publishes.
type Table struct {
	// Records are the records of the desired table with the health of
	// their probed members filled in.
	Records []*gslbv1.Record
	// Generation is that of the latest Update the table reflects (the
	// number Update returned): it includes every Update up to it.
	Generation uint64
	// HealthSince is when the earliest of the transitions of a target's
	// health that this table is the first to show was seen (the end of the
	// probe that made it); zero when it shows none. The first table
	// published is the start-up's: it counts none.
	HealthSince time.Time
}

// Prober probes the members of the desired table; see the package comment.
type Prober struct {
	opts      Options
	m         *metrics
	sem       chan struct{}
	kickSched chan struct{} // capacity 1: the targets changed
	kickEmit  chan struct{} // capacity 1: the table to publish changed
	running   atomic.Bool

	mu         sync.Mutex
	targets    map[Target]*target
	records    []recSpec
	out        []*gslbv1.Record // the published table; out[i] renders records[i]
	dirty      []int            // indexes of records to render again
	isDirty    []bool           // by record index: in dirty
	allDirty   bool
	hasTable   bool // Update was called
	queue      targetQueue
	generation uint64
	rendered   bool                  // a table was rendered: transitions from now on are changes
	healthSeen time.Time             // the earliest transition not yet rendered; zero if none
	stats      observed.Value[Stats] // changed under mu
	share      shareState            // the site's shared health (share.go)
}

// target is one probe loop.
type target struct {
	key      Target
	st       state
	next     time.Time // when the next probe is due
	index    int       // in the queue; -1 when not queued
	inflight bool
	started  bool // the first probe was started
	probed   bool // a first result came
	removed  bool
	since    time.Time // when its health was last decided
	gen      uint64    // the Update that last listed the target
	recs     []int     // indexes of the records that use it, ascending
}

// recSpec is a record of the desired table and the targets of its members.
type recSpec struct {
	rec     *gslbv1.Record
	targets []*target // per member, nil when not probed; nil when none is
}

// New returns a Prober; Update gives it the table, Run does the work.
func New(opts Options) *Prober {
	opts = opts.withDefaults()
	p := &Prober{
		opts:      opts,
		sem:       make(chan struct{}, opts.Workers),
		kickSched: make(chan struct{}, 1),
		kickEmit:  make(chan struct{}, 1),
		targets:   map[Target]*target{},
	}
	p.m = newMetrics(opts.Registerer, p)
	return p
}

// inheritKey matches a target whose check changed with the one it replaces.
type inheritKey struct {
	address string
	typ     Type
	port    uint16
}

// Update makes records the desired table. Targets that stay keep their
// state; new ones start UNKNOWN (served) and are probed at once, except
// that a target replacing one of the same address, type and port (its check
// was edited) keeps that one's health until its own probes decide. The
// table is published at once (after the first results, the first time).
// Neither the slice nor the records may be modified afterwards.
//
// Update returns the table's generation, which counts the calls from 1;
// Table.Generation tells which Update a published table reflects.
func (p *Prober) Update(records []*gslbv1.Record) uint64 {
	p.mu.Lock()
	p.generation++
	gen := p.generation
	now := p.opts.Clock.Now()
	old := p.targets
	targets := make(map[Target]*target, len(old))
	specs := make([]recSpec, len(records))
	var fresh []*target
	for i, r := range records {
		spec := recSpec{rec: r}
		for j, m := range r.GetMembers() {
			c, ok := memberCheck(m)
			if !ok {
				continue
			}
			key := Target{Address: c.Address, Check: c}
			if key.Address == "" {
				key.Address = m.GetAddress()
			}
			t := targets[key]
			if t == nil {
				if t = old[key]; t == nil {
					t = &target{key: key, index: -1, next: now}
					fresh = append(fresh, t)
				}
				targets[key] = t
			}
			if t.gen != gen {
				t.gen, t.recs = gen, t.recs[:0]
			}
			if n := len(t.recs); n == 0 || t.recs[n-1] != i {
				t.recs = append(t.recs, i)
			}
			if spec.targets == nil {
				spec.targets = make([]*target, len(r.GetMembers()))
			}
			spec.targets[j] = t
		}
		specs[i] = spec
	}
	gone := map[inheritKey]*target{}
	unprobed := 0 // the change of the targets without a first result
	for key, t := range old {
		if targets[key] == t {
			continue
		}
		t.removed = true
		if t.index >= 0 {
			heap.Remove(&p.queue, t.index)
		}
		if !t.probed {
			unprobed--
		}
		gone[inheritKey{key.Address, key.Check.Type, key.Check.Port}] = t
	}
	for _, t := range fresh {
		if g := gone[inheritKey{t.key.Address, t.key.Check.Type, t.key.Check.Port}]; g != nil {
			t.st.health, t.st.reason, t.since = g.st.health, g.st.reason, g.since
		}
		heap.Push(&p.queue, t)
		if !p.applyRemoteLocked(t) {
			unprobed++
		}
	}
	p.targets, p.records = targets, specs
	p.share.byKey = nil // indexed again on demand
	p.out = make([]*gslbv1.Record, len(specs))
	p.isDirty = make([]bool, len(specs))
	p.allDirty, p.dirty, p.hasTable = true, p.dirty[:0], true
	p.update(func(s *Stats) { s.Targets, s.Unprobed = len(targets), s.Unprobed+unprobed })
	p.mu.Unlock()
	kick(p.kickSched)
	kick(p.kickEmit)
	return gen
}

func kick(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// Run probes and publishes until ctx ends, then returns nil once the probes
// in flight have ended. publish gets each new table (records with the
// health of their members filled in), on Run's goroutine, one at a time; it
// must not modify the slice or the records, and should return soon: probe
// results wait for it. Run may be called once.
func (p *Prober) Run(ctx context.Context, publish func(Table)) error {
	if !p.running.CompareAndSwap(false, true) {
		return errors.New("health: Run called twice")
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { p.schedule(ctx, &wg) })

	p.awaitFirstResults(ctx)
	for {
		if tab, ok := p.render(); ok {
			publish(tab)
			p.update(func(s *Stats) { s.Published++ })
		}
		select {
		case <-ctx.Done():
			return nil
		case <-p.kickEmit:
		}
	}
}

// awaitFirstResults waits until every target has a first result, at most
// InitialWait, so that the first table published is already probed.
func (p *Prober) awaitFirstResults(ctx context.Context) {
	p.mu.Lock()
	wait := p.opts.InitialWait
	if wait <= 0 {
		for key := range p.targets {
			wait = max(wait, key.Check.Timeout)
		}
		wait += 500 * time.Millisecond
	}
	p.mu.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	t := p.opts.Clock.NewTimer(wait)
	defer t.Stop()
	go func() {
		select {
		case <-t.C():
			cancel()
		case <-ctx.Done():
		}
	}()
	_, _ = p.stats.WaitFor(ctx, func(s Stats) bool { return s.Unprobed <= 0 })
}

// render returns the table to publish, and false when nothing changed since
// the last one.
func (p *Prober) render() (Table, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.hasTable || (!p.allDirty && len(p.dirty) == 0) {
		return Table{}, false
	}
	if p.allDirty {
		for i := range p.records {
			p.out[i] = p.records[i].render()
		}
	} else {
		for _, i := range p.dirty {
			p.out[i] = p.records[i].render()
		}
	}
	for _, i := range p.dirty {
		p.isDirty[i] = false
	}
	p.allDirty, p.dirty = false, p.dirty[:0]
	out := make([]*gslbv1.Record, len(p.out))
	copy(out, p.out)
	tab := Table{Records: out, Generation: p.generation, HealthSince: p.healthSeen}
	if !p.rendered {
		tab.HealthSince, p.rendered = time.Time{}, true
	}
	p.healthSeen = time.Time{}
	return tab, true
}

// render returns the record with the health of its probed members: a
// member the source marks down stays down (an administrative override); a
// probed member takes its target's health once the probes know it (UP or
// DOWN); otherwise the member is as the source gave it.
func (s recSpec) render() *gslbv1.Record {
	var clone *gslbv1.Record
	for j, t := range s.targets {
		if t == nil || t.st.health == gslbv1.Health_HEALTH_UNKNOWN ||
			s.rec.Members[j].GetHealth() == gslbv1.Health_HEALTH_DOWN {
			continue
		}
		if clone == nil {
			clone = proto.Clone(s.rec).(*gslbv1.Record)
		}
		clone.Members[j].Health, clone.Members[j].HealthReason = t.st.health, t.st.reason
	}
	if clone == nil {
		return s.rec
	}
	return clone
}

// schedule starts the probes as they fall due, until ctx ends.
func (p *Prober) schedule(ctx context.Context, wg *sync.WaitGroup) {
	clk := p.opts.Clock
	for {
		p.mu.Lock()
		now := clk.Now()
		var due []*target
		for p.queue.Len() > 0 && !p.queue[0].next.After(now) {
			t := p.queue[0]
			interval := t.key.Check.Interval
			switch {
			case !t.started:
				// The first probe goes at once, the second within an
				// interval: targets added together are spread over the
				// interval ever after, and no gap between two probes
				// exceeds the interval.
				t.started = true
				t.next = now.Add(interval - time.Duration(0.9*p.opts.Rand()*float64(interval)))
			case t.next.Add(interval).After(now):
				t.next = t.next.Add(interval)
			default:
				// Late by a whole interval (the pool was full): no catching up.
				t.next = now.Add(interval)
			}
			heap.Fix(&p.queue, 0)
			if !t.inflight && !p.share.following { // else the previous probe still runs, or the leader probes: skip this one
				t.inflight = true
				due = append(due, t)
			}
		}
		var dueAt time.Time // zero: nothing to probe
		if p.queue.Len() > 0 {
			dueAt = p.queue[0].next
		}
		p.mu.Unlock()

		for _, t := range due {
			select {
			case p.sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			wg.Go(func() { p.probe(ctx, t) })
		}

		var timer clock.Timer
		var fire <-chan time.Time
		if !dueAt.IsZero() {
			timer = clk.NewTimer(dueAt.Sub(clk.Now()))
			fire = timer.C()
			if !clk.Now().Before(dueAt) {
				// The time moved on while the timer was made (a fake clock
				// in tests): do not wait for a timer set too late.
				timer.Stop()
				continue
			}
		}
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			return
		case <-p.kickSched:
		case <-fire:
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// probe runs one probe of t and records its result.
func (p *Prober) probe(ctx context.Context, t *target) {
	if p.skipFollowing(t) {
		<-p.sem
		return
	}
	start := p.opts.Clock.Now()
	pctx, cancel := context.WithTimeout(ctx, t.key.Check.Timeout)
	res := p.opts.Probe(pctx, t.key)
	cancel()
	end := p.opts.Clock.Now()
	<-p.sem
	if ctx.Err() != nil {
		return
	}
	p.m.observeProbe(t.key.Check.Type, res.OK, end.Sub(start).Seconds())
	if p.opts.Logger.Enabled(ctx, slog.LevelDebug) {
		p.opts.Logger.Debug("probe", "address", t.key.Address, "check", t.key.Check.String(), "ok", res.OK, "reason", res.Reason)
	}

	p.mu.Lock()
	t.inflight = false
	from := t.st.health
	changed, first := false, false
	if !t.removed && !p.share.following { // following: the leader's decisions rule
		if !t.probed {
			t.probed, first = true, true
		}
		if changed = t.st.observe(res, t.key.Check.Rise, t.key.Check.Fall); changed {
			t.since = end
			p.markDirtyLocked(t)
			p.notifyLocked(t)
			if p.healthSeen.IsZero() || end.Before(p.healthSeen) {
				p.healthSeen = end
			}
		}
	}
	var fqdns []string
	if changed {
		for _, i := range t.recs[:min(len(t.recs), 3)] {
			fqdns = append(fqdns, p.records[i].rec.GetFqdn())
		}
	}
	nrecs, to := len(t.recs), t.st.health
	p.update(func(s *Stats) {
		s.Probes++
		if !res.OK {
			s.Failures++
		}
		if changed {
			s.Transitions++
		}
		if first {
			s.Unprobed--
		}
	})
	if changed {
		p.m.observeTransition(to)
	}
	p.mu.Unlock()

	if changed {
		// A first success changes nothing for the answers (UNKNOWN is
		// served): not worth a line per member at start-up.
		level := slog.LevelInfo
		if from == gslbv1.Health_HEALTH_UNKNOWN && to == gslbv1.Health_HEALTH_UP {
			level = slog.LevelDebug
		}
		p.opts.Logger.Log(ctx, level, "member health changed",
			"address", t.key.Address, "port", t.key.Check.Port, "check", t.key.Check.String(),
			"from", healthName(from), "to", healthName(to), "reason", res.Reason,
			"records", nrecs, "fqdns", fqdns)
		kick(p.kickEmit)
	}
}

// markDirtyLocked marks the records that use t to be rendered again.
func (p *Prober) markDirtyLocked(t *target) {
	for _, i := range t.recs {
		if !p.isDirty[i] {
			p.isDirty[i] = true
			p.dirty = append(p.dirty, i)
		}
	}
}

// Name is a health as the policies' status spells it: Up, Down or Unknown.
func Name(h gslbv1.Health) string {
	switch h {
	case gslbv1.Health_HEALTH_UP:
		return "Up"
	case gslbv1.Health_HEALTH_DOWN:
		return "Down"
	default:
		return "Unknown"
	}
}

// healthName is Name in lower case, as the log says it.
func healthName(h gslbv1.Health) string { return strings.ToLower(Name(h)) }

// Stats returns a snapshot of the Prober's counters.
func (p *Prober) Stats() Stats { return p.stats.Get() }

// WaitFor blocks until cond holds for the stats, or ctx ends, and returns
// the stats that satisfied it (or the last ones seen, with ctx's error).
func (p *Prober) WaitFor(ctx context.Context, cond func(Stats) bool) (Stats, error) {
	return p.stats.WaitFor(ctx, cond)
}

func (p *Prober) update(f func(*Stats)) { p.stats.Update(f) }

// targetQueue is a min-heap of targets by their next probe.
type targetQueue []*target

func (q targetQueue) Len() int           { return len(q) }
func (q targetQueue) Less(i, j int) bool { return q[i].next.Before(q[j].next) }
func (q targetQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}
func (q *targetQueue) fixAt(i int) { heap.Fix(q, i) }
func (q *targetQueue) Push(x any) {
	t := x.(*target)
	t.index = len(*q)
	*q = append(*q, t)
}
func (q *targetQueue) Pop() any {
	old := *q
	t := old[len(old)-1]
	old[len(old)-1] = nil
	t.index = -1
	*q = old[:len(old)-1]
	return t
}
