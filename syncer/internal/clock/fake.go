package clock

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Fake is a Clock whose time only moves when Advance is called. Tests use
// WaitForTimers to learn that the code under test is idle, waiting on a timer,
// before they advance the time: that replaces sleeping.
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	active  map[*fakeTimer]struct{}
	changed chan struct{} // closed and replaced whenever the set of active timers changes
}

// NewFake returns a fake clock showing now.
func NewFake(now time.Time) *Fake {
	return &Fake{now: now, active: make(map[*fakeTimer]struct{}), changed: make(chan struct{})}
}

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// NewTimer returns a timer that fires when the fake time has advanced by d.
func (f *Fake) NewTimer(d time.Duration) Timer {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := &fakeTimer{f: f, c: make(chan time.Time, 1), when: f.now.Add(d)}
	if d <= 0 {
		t.c <- f.now
		return t
	}
	f.active[t] = struct{}{}
	f.notifyLocked()
	return t
}

// Advance moves the time forward by d and fires every timer that is due.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
	for t := range f.active {
		if !t.when.After(f.now) {
			delete(f.active, t)
			t.c <- f.now // buffered and sent at most once: never blocks
		}
	}
	f.notifyLocked()
}

// ActiveTimers returns how many timers are waiting to fire.
func (f *Fake) ActiveTimers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.active)
}

// Pending returns, for each active timer, how long until it fires, shortest first.
func (f *Fake) Pending() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]time.Duration, 0, len(f.active))
	for t := range f.active {
		out = append(out, t.when.Sub(f.now))
	}
	slices.Sort(out)
	return out
}

// WaitForTimers blocks until at least n timers are waiting to fire, or ctx ends.
func (f *Fake) WaitForTimers(ctx context.Context, n int) error {
	for {
		f.mu.Lock()
		if len(f.active) >= n {
			f.mu.Unlock()
			return nil
		}
		ch := f.changed
		f.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (f *Fake) notifyLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

type fakeTimer struct {
	f    *Fake
	c    chan time.Time
	when time.Time
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

// Stop behaves like (*time.Timer).Stop since Go 1.23: a time already sent
// but not received is taken back, and Stop then reports true.
func (t *fakeTimer) Stop() bool {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	if _, ok := t.f.active[t]; ok {
		delete(t.f.active, t)
		t.f.notifyLocked()
		return true
	}
	select {
	case <-t.c:
		return true
	default:
		return false
	}
}
