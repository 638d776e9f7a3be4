package filesource

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/internal/clock"
)

// Defaults of Options.
const (
	DefaultPollInterval = time.Second
	DefaultDebounce     = 50 * time.Millisecond
	DefaultDeleteShare  = 0.5
	DefaultDeleteHold   = 2 * time.Second
)

// racyWindow: a file modified less than this long before it was read may be
// modified again with the same size and modification time (file systems
// stamp times with a coarse clock), which a stat poll cannot see; such a
// file is read again at the next poll (like git's "racy clean" entries).
const racyWindow = 2 * time.Second

// Options tune a Source. The zero value is what production uses.
type Options struct {
	// PollInterval is how often the file is stat'ed in case file system
	// events were missed (or not available). Default 1s.
	PollInterval time.Duration
	// Debounce is how long to wait after a file system event for more
	// events before reading the file, and how long the file must have been
	// stable (size and modification time unchanged) before it is read, on
	// every path: events, poll and start. Default 50ms.
	Debounce time.Duration
	// DeleteShare and DeleteHold guard against a file caught mid-write
	// (rewritten in place) that still parses: a change that would remove
	// more than DeleteShare of the records reported last is held back (and
	// reported to onError once) until the file has been stable for
	// DeleteHold, then read again and applied. Defaults 0.5 and 2s; a
	// DeleteShare of 1 or more turns the hold off.
	DeleteShare float64
	DeleteHold  time.Duration
	// PollOnly turns file system events off, for file systems that do not
	// deliver them (NFS, some FUSE mounts).
	PollOnly bool
	// Clock drives the debounce and poll timers. Default: the real clock.
	Clock clock.Clock
}

func (o Options) withDefaults() Options {
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.Debounce <= 0 {
		o.Debounce = DefaultDebounce
	}
	if o.DeleteShare <= 0 {
		o.DeleteShare = DefaultDeleteShare
	}
	if o.DeleteHold <= 0 {
		o.DeleteHold = DefaultDeleteHold
	}
	if o.Clock == nil {
		o.Clock = clock.Real()
	}
	return o
}

// Source is a members file, followed by Run.
type Source struct {
	path string
	opts Options

	mu      sync.Mutex
	seen    [sha256.Size]byte // hash of the content last parsed
	hasSeen bool
	stat    os.FileInfo         // of the file when last read; nil if it could not be stat'ed
	racy    bool                // the file may have changed without its stat showing it
	lastErr string              // the last read error reported, so that a poll does not repeat it
	names   map[string]struct{} // the records last reported (or loaded)
	held    [sha256.Size]byte   // the content last held back and reported as such
}

// New returns the Source for the members file at path.
func New(path string, opts Options) *Source {
	return &Source{path: path, opts: opts.withDefaults()}
}

// load reads and parses the file, once it is stable; watch then reports
// only what differs from it.
func (s *Source) load(ctx context.Context) ([]*gslbv1.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		data, err := s.readSettledLocked(ctx)
		if err != nil {
			return nil, err
		}
		sum, size := sha256.Sum256(data), len(data)
		recs, err := parseFile(s.path, data, sum)
		collectFile(size)
		if errors.Is(err, errChanging) {
			continue
		}
		if err != nil {
			return nil, err
		}
		s.seen, s.hasSeen = sum, true
		s.names = names(recs)
		return recs, nil
	}
}

// watch calls onChange with the records each time the file's content
// changes and parses, with the time the change was first noticed
// (Options.Clock's): the first file system event of the burst that led to
// the read, the poll that saw the file's stat change, or the first check
// when watch starts. See Run.
func (s *Source) watch(ctx context.Context, onChange func(records []*gslbv1.Record, since time.Time), onError func(error)) error {
	clk := s.opts.Clock
	var (
		events <-chan fsnotify.Event
		errs   <-chan error
	)
	if !s.opts.PollOnly {
		dir := filepath.Dir(s.path)
		w, err := fsnotify.NewWatcher()
		if err == nil {
			if err = w.Add(dir); err != nil {
				w.Close()
			}
		}
		if err != nil {
			onError(fmt.Errorf("cannot watch %s, polling every %v instead: %w", dir, s.opts.PollInterval, err))
		} else {
			defer w.Close()
			events, errs = w.Events, w.Errors
		}
	}

	// Anything that changed before the watch was set up is caught here.
	p := &pending{s: s, clk: clk, onChange: onChange, onError: onError}
	defer p.stop()
	if s.changedSinceRead() {
		p.notice()
		p.arm(0)
	}

	poll := clk.NewTimer(s.opts.PollInterval)
	defer func() { poll.Stop() }()
	for {
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			p.notice()
			p.debounce()
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			// Typically an overflow of the event queue: events were lost.
			onError(fmt.Errorf("watching %s: %w", s.path, err))
			p.notice()
			p.debounce()
		case <-p.timerC:
			p.fire()
		case <-poll.C():
			if p.timer == nil && s.statChanged() {
				p.notice()
				p.arm(s.opts.Debounce)
			}
			poll = clk.NewTimer(s.opts.PollInterval)
		}
	}
}

// check reads the file, stable for the given time, and reports it if its
// content changed, as noticed at since. It returns how much longer to wait
// before checking again, 0 when done: the file changed while it was read,
// or the change is held back (see Options.DeleteShare).
func (s *Source) check(onChange func([]*gslbv1.Record, time.Time), onError func(error), since time.Time, stable time.Duration) time.Duration {
	s.mu.Lock()
	prev := s.stat
	data, err := s.readLocked()
	if errors.Is(err, errChanging) {
		s.mu.Unlock()
		return s.opts.Debounce
	}
	if err != nil {
		msg := err.Error()
		repeated := msg == s.lastErr
		s.lastErr = msg
		s.mu.Unlock()
		if !repeated {
			onError(err)
		}
		return 0
	}
	s.lastErr = ""
	sum := sha256.Sum256(data)
	if s.hasSeen && sum == s.seen {
		s.mu.Unlock()
		return 0
	}
	size := len(data)
	recs, err := parseFile(s.path, data, sum)
	collectFile(size)
	if errors.Is(err, errChanging) {
		s.mu.Unlock()
		return s.opts.Debounce
	}
	if err != nil {
		s.seen, s.hasSeen = sum, true // reported once
		s.mu.Unlock()
		onError(err)
		return 0
	}
	inPlace := prev != nil && s.stat != nil && os.SameFile(prev, s.stat)
	if wait, err := s.holdLocked(recs, sum, stable, inPlace); wait > 0 {
		s.mu.Unlock()
		if err != nil {
			onError(err)
		}
		return wait
	}
	s.seen, s.hasSeen = sum, true
	s.names = names(recs)
	s.mu.Unlock()
	onChange(recs, since)
	return 0
}

// errChanging: the file changed while it was read.
var errChanging = errors.New("changed while read")

// readLocked reads the file and remembers its stat for the poll. It returns
// errChanging when the stat after the read differs from the one before.
func (s *Source) readLocked() ([]byte, error) {
	// Wall time on purpose: it is compared with the file's modification time.
	readAt := time.Now()
	s.stat, _ = os.Stat(s.path)
	s.racy = s.stat != nil && readAt.Sub(s.stat.ModTime()) < racyWindow
	data, err := os.ReadFile(s.path)
	if err != nil {
		s.stat = nil // try again at every poll
		return nil, err
	}
	if after, _ := os.Stat(s.path); !sameStat(s.stat, after) {
		return nil, errChanging
	}
	return data, nil
}

// changedSinceRead reports whether the file was never read, or its stat
// differs from when it was (a racy stat is left to the poll).
func (s *Source) changedSinceRead() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now, _ := os.Stat(s.path)
	return !s.hasSeen || s.stat == nil || !sameStat(now, s.stat)
}

// statChanged reports whether the file may have changed since it was last read.
func (s *Source) statChanged() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now, err := os.Stat(s.path)
	switch {
	case s.racy:
		return true
	case err != nil || s.stat == nil:
		// Missing (or unreadable) now or at the last read: read again when
		// it appears; check() does not repeat an unchanged error.
		return err == nil || s.stat != nil
	default:
		return !sameStat(now, s.stat)
	}
}

// sameStat reports whether two stats (either may be nil) show the same file
// with the same size and modification time. os.Stat follows symlinks: a
// swapped ConfigMap shows as another file.
func sameStat(a, b os.FileInfo) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}
