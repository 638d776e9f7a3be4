package health

import (
	"fmt"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
)

// Decision is a target's health as probes decided it: what a site's probe
// leader shares with the site's other syncers (syncer/healthshare), which
// then probe nothing themselves.
type Decision struct {
	Target string        // Target.Key
	Health gslbv1.Health // UP or DOWN
	Reason string
	Since  time.Time // when it was decided (the end of the probe)
}

// shareState is the Prober's side of the sharing, guarded by Prober.mu.
type shareState struct {
	following bool                // the leader's decisions rule; no probes
	remote    map[string]Decision // the leader's decisions while following, by target key
	byKey     map[string]*target  // the targets by key, once Apply or WatchDecisions used them
	watchers  map[int]func([]Decision)
	nextID    int
}

// Key names the target alike in every syncer that builds it from the same
// configuration: the address and every field of the check.
func (t Target) Key() string {
	c := t.Check
	return fmt.Sprintf("%s|%s|%d|%s|%s|%s|%s|%q|%s|%t|%s|%s|%d|%d", t.Address, c.Type, c.Port, c.Method, c.Path, c.Host,
		c.ExpectStatus, c.BodyContains, c.SNI, c.InsecureSkipVerify, c.Interval, c.Timeout, c.Rise, c.Fall)
}

// WatchDecisions calls f at once with every target whose health is decided
// (UP or DOWN), then with each new decision of a probe, until stop is
// called. f runs with the Prober's lock held: it must return at once and
// not call the Prober.
func (p *Prober) WatchDecisions(f func([]Decision)) (stop func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.share.watchers == nil {
		p.share.watchers = map[int]func([]Decision){}
	}
	id := p.share.nextID
	p.share.nextID++
	p.share.watchers[id] = f
	var all []Decision
	for _, t := range p.targets {
		if t.st.health != gslbv1.Health_HEALTH_UNKNOWN {
			all = append(all, t.decision())
		}
	}
	f(all)
	return func() {
		p.mu.Lock()
		delete(p.share.watchers, id)
		p.mu.Unlock()
	}
}

func (t *target) decision() Decision {
	return Decision{Target: t.key.Key(), Health: t.st.health, Reason: t.st.reason, Since: t.since}
}

// notifyLocked tells the watchers of t's new decision.
func (p *Prober) notifyLocked(t *target) {
	if len(p.share.watchers) == 0 {
		return
	}
	d := []Decision{t.decision()}
	for _, f := range p.share.watchers {
		f(d)
	}
}

// Follow stops the probes and makes the health of the targets what Apply
// gives (on), or probes again (off): every target at once, then spread
// over its interval, starting from the health the leader last gave it.
// A probe in flight when following starts is ignored.
func (p *Prober) Follow(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.share.following == on {
		return
	}
	p.share.following = on
	p.share.remote = nil
	if on {
		return
	}
	now := p.opts.Clock.Now()
	for _, t := range p.targets {
		t.started, t.next = false, now
		t.st.oks, t.st.fails = 0, 0
		if t.index >= 0 {
			p.queue.fixAt(t.index)
		}
	}
	kick(p.kickSched)
}

// skipFollowing tells whether t's probe, due before the prober began to
// follow, is to be skipped (then t is no longer in flight).
func (p *Prober) skipFollowing(t *target) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.share.following {
		t.inflight = false
	}
	return p.share.following
}

// Following tells whether the prober takes health from a leader.
func (p *Prober) Following() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.share.following
}

// Apply takes the leader's decisions while following (else it does
// nothing): full replaces every decision the leader gave before; a
// decision for a target not in the table (yet) applies when an Update
// brings it. A target the leader has not decided keeps its health. The
// changes a full state brings are not dated (Table.HealthSince): they may
// be old decisions, not news.
func (p *Prober) Apply(ds []Decision, full bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.share.following {
		return
	}
	if full || p.share.remote == nil {
		p.share.remote = make(map[string]Decision, len(ds))
	}
	p.indexLocked()
	changed := false
	for _, d := range ds {
		p.share.remote[d.Target] = d
		if t := p.share.byKey[d.Target]; t != nil && p.applyLocked(t, d, !full) {
			changed = true
		}
	}
	if changed {
		kick(p.kickEmit)
	}
}

// applyRemoteLocked gives a new target the leader's decision, if any; it
// reports whether it did.
func (p *Prober) applyRemoteLocked(t *target) bool {
	if !p.share.following {
		return false
	}
	d, ok := p.share.remote[t.key.Key()]
	if !ok {
		return false
	}
	t.st, t.since, t.probed = state{health: d.Health, reason: d.Reason}, d.Since, true
	return true
}

// applyLocked sets t to the decision d; it reports whether t's health or
// reason changed. dated: the change counts in Table.HealthSince.
func (p *Prober) applyLocked(t *target, d Decision, dated bool) bool {
	first := !t.probed
	t.probed = true
	changed := t.st.health != d.Health || t.st.reason != d.Reason
	if changed {
		t.st, t.since = state{health: d.Health, reason: d.Reason}, d.Since
		p.markDirtyLocked(t)
		if dated && !d.Since.IsZero() && (p.healthSeen.IsZero() || d.Since.Before(p.healthSeen)) {
			p.healthSeen = d.Since
		}
		p.m.observeTransition(d.Health)
	}
	p.update(func(s *Stats) {
		if changed {
			s.Transitions++
		}
		if first {
			s.Unprobed--
		}
	})
	return changed
}

// indexLocked makes byKey the current targets by key.
func (p *Prober) indexLocked() {
	if p.share.byKey != nil {
		return
	}
	p.share.byKey = make(map[string]*target, len(p.targets))
	for k, t := range p.targets {
		p.share.byKey[k.Key()] = t
	}
}
