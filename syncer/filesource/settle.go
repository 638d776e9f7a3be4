package filesource

import (
	"context"
	"errors"
	"os"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/internal/clock"
)

// pending is the read that a noticed change waits for. Whatever noticed the
// change (a file system event, the stat poll, the start of watch), the file
// is read only once it has been stable, its size and modification time
// unchanged, for Options.Debounce: a file being rewritten in place is not
// read half-way.
type pending struct {
	s        *Source
	clk      clock.Clock
	onChange func([]*gslbv1.Record, time.Time)
	onError  func(error)

	active bool      // a change was noticed and is not read yet
	since  time.Time // when it was first noticed (reported with the change)
	first  time.Time // the first event of the burst (bounds the debounce)
	timer  clock.Timer
	timerC <-chan time.Time // nil when no read is scheduled

	probe      os.FileInfo // the stat last observed; nil if missing
	probeSince time.Time   // when probe was first observed
}

// notice records that the file may have changed.
func (p *pending) notice() {
	now := p.clk.Now()
	if !p.active {
		p.active, p.since, p.first = true, now, now
	}
	p.observe(now)
}

// observe stats the file and returns how long it has been stable: since
// this watcher first saw its current stat, or since its modification time
// (on Options.Clock), whichever is longer.
func (p *pending) observe(now time.Time) time.Duration {
	st, _ := os.Stat(p.s.path)
	if p.probeSince.IsZero() || !sameStat(st, p.probe) {
		p.probe, p.probeSince = st, now
	}
	stable := now.Sub(p.probeSince)
	if st != nil {
		stable = max(stable, now.Sub(st.ModTime()))
	}
	return stable
}

// debounce schedules the read Debounce after the latest event, but no later
// than 10 × Debounce after the first one of the burst (events about other
// files of the directory may never stop).
func (p *pending) debounce() {
	now := p.clk.Now()
	wait := p.s.opts.Debounce
	if latest := p.first.Add(10 * wait); now.Add(wait).After(latest) {
		wait = max(0, latest.Sub(now))
	}
	p.arm(wait)
}

// arm (re)schedules the read after d.
func (p *pending) arm(d time.Duration) {
	p.stop()
	p.timer = p.clk.NewTimer(d)
	p.timerC = p.timer.C()
}

func (p *pending) stop() {
	if p.timer != nil {
		p.timer.Stop()
		p.timer, p.timerC = nil, nil
	}
}

// fire reads the file if it has been stable long enough, else waits more.
func (p *pending) fire() {
	p.timer, p.timerC = nil, nil
	now := p.clk.Now()
	stable := p.observe(now)
	wait := p.s.opts.Debounce - stable
	if wait <= 0 {
		wait = p.s.check(p.onChange, p.onError, p.since, stable)
	}
	if wait > 0 {
		p.first = now
		p.arm(wait)
		return
	}
	p.active = false
}

// readSettledLocked is readLocked for load, which has no watcher to come
// back later: it waits until the file's modification time is Debounce old
// (a modification time after Options.Clock's now cannot be judged and is
// not waited for), and reads again when the file changed during the read.
func (s *Source) readSettledLocked(ctx context.Context) ([]byte, error) {
	clk := s.opts.Clock
	for {
		if st, err := os.Stat(s.path); err == nil {
			if age := clk.Now().Sub(st.ModTime()); age >= 0 && age < s.opts.Debounce {
				if err := sleep(ctx, clk, s.opts.Debounce-age); err != nil {
					return nil, err
				}
				continue
			}
		}
		data, err := s.readLocked()
		if !errors.Is(err, errChanging) {
			return data, err
		}
	}
}

// sleep waits d on clk, or until ctx ends.
func sleep(ctx context.Context, clk clock.Clock, d time.Duration) error {
	t := clk.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
