package filesource

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/health"
	"github.com/gslbdns/gslb/syncer/internal/clock"
)

// Defaults of Options.
const (
	DefaultPollInterval = time.Second
	DefaultDebounce     = 50 * time.Millisecond
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
	// events before reading the file. Default 50ms; under a steady stream of
	// events the file is still read at least every 10 × Debounce.
	Debounce time.Duration
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
	if o.Clock == nil {
		o.Clock = clock.Real()
	}
	return o
}

// Source is a members file: Load reads it once, Watch follows its changes.
type Source struct {
	path string
	opts Options

	mu      sync.Mutex
	seen    [sha256.Size]byte // hash of the content last parsed
	hasSeen bool
	stat    os.FileInfo // of the file when last read; nil if it could not be stat'ed
	racy    bool        // the file may have changed without its stat showing it
	lastErr string      // the last read error reported, so that a poll does not repeat it
}

// New returns the Source for the members file at path.
func New(path string, opts Options) *Source {
	return &Source{path: path, opts: opts.withDefaults()}
}

// Load reads and parses the file. Watch then reports only what differs from it.
func (s *Source) Load(ctx context.Context) ([]*gslbv1.Record, error) {
	recs, err := s.LoadChecked(ctx)
	if err != nil {
		return nil, err
	}
	return health.Records(recs), nil
}

// LoadChecked is Load, with the health checks of the records' members.
func (s *Source) LoadChecked(context.Context) ([]health.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	data, err := s.readLocked()
	if err != nil {
		return nil, err
	}
	recs, err := ParseChecked(s.path, data)
	if err != nil {
		return nil, err
	}
	s.seen, s.hasSeen = sha256.Sum256(data), true
	return recs, nil
}

// Watch calls onChange with the records each time the file's content changes
// and parses, until ctx ends; a file that does not parse (or cannot be read)
// goes to onError instead and nothing is reported as a change, so that the
// last good table keeps serving. The callbacks run on Watch's goroutine, one
// at a time. The first check happens at once: without a Load before, it
// reports the file as it is.
//
// Watch follows the parent directory rather than the file, so it sees editors
// that replace the file by a rename, and Kubernetes ConfigMap volumes, where
// the file is a symlink into "..data", itself a symlink swapped on update.
// Any event in the directory leads to a (debounced) read, compared by hash.
// A stat poll backs the events up; if they cannot be set up (for instance
// when inotify instances run out), Watch says so through onError and polls.
// Watch returns nil when ctx ends.
func (s *Source) Watch(ctx context.Context, onChange func([]*gslbv1.Record), onError func(error)) error {
	return s.WatchChecked(ctx, func(recs []health.Record) { onChange(health.Records(recs)) }, onError)
}

// WatchChecked is Watch, with the health checks of the records' members.
func (s *Source) WatchChecked(ctx context.Context, onChange func([]health.Record), onError func(error)) error {
	return s.WatchTimed(ctx, func(recs []health.Record, _ time.Time) { onChange(recs) }, onError)
}

// WatchTimed is WatchChecked, with the time each change was first noticed
// (Options.Clock's): the first file system event of the burst that led to
// the read, the poll that saw the file's stat change, or the first check
// when Watch starts.
func (s *Source) WatchTimed(ctx context.Context, onChange func(records []health.Record, since time.Time), onError func(error)) error {
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
	s.check(onChange, onError, clk.Now())

	poll := clk.NewTimer(s.opts.PollInterval)
	defer func() { poll.Stop() }()
	var (
		debounce   clock.Timer // nil when no read is pending
		debounceC  <-chan time.Time
		firstEvent time.Time
	)
	defer func() {
		if debounce != nil {
			debounce.Stop()
		}
	}()
	// schedule arranges a read Debounce after the latest event, but no later
	// than 10 × Debounce after the first one still unread.
	schedule := func() {
		now := clk.Now()
		if debounce == nil {
			firstEvent = now
		} else {
			debounce.Stop()
		}
		wait := s.opts.Debounce
		if latest := firstEvent.Add(10 * s.opts.Debounce); now.Add(wait).After(latest) {
			wait = latest.Sub(now)
		}
		debounce = clk.NewTimer(wait)
		debounceC = debounce.C()
	}

	for {
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			schedule()
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			// Typically an overflow of the event queue: events were lost.
			onError(fmt.Errorf("watching %s: %w", s.path, err))
			schedule()
		case <-debounceC:
			debounce, debounceC = nil, nil
			s.check(onChange, onError, firstEvent)
		case <-poll.C():
			if now := clk.Now(); s.statChanged() {
				s.check(onChange, onError, now)
			}
			poll = clk.NewTimer(s.opts.PollInterval)
		}
	}
}

// Watch follows the members file at path with the default options; see Source.Watch.
func Watch(ctx context.Context, path string, onChange func([]*gslbv1.Record), onError func(error)) error {
	return New(path, Options{}).Watch(ctx, onChange, onError)
}

// check reads the file and reports it if its content changed, as noticed at
// since.
func (s *Source) check(onChange func([]health.Record, time.Time), onError func(error), since time.Time) {
	s.mu.Lock()
	data, err := s.readLocked()
	if err != nil {
		msg := err.Error()
		repeated := msg == s.lastErr
		s.lastErr = msg
		s.mu.Unlock()
		if !repeated {
			onError(err)
		}
		return
	}
	s.lastErr = ""
	sum := sha256.Sum256(data)
	if s.hasSeen && sum == s.seen {
		s.mu.Unlock()
		return
	}
	s.seen, s.hasSeen = sum, true
	s.mu.Unlock()

	recs, err := ParseChecked(s.path, data)
	if err != nil {
		onError(err)
		return
	}
	onChange(recs, since)
}

// readLocked reads the file and remembers its stat for the poll.
func (s *Source) readLocked() ([]byte, error) {
	// Wall time on purpose: it is compared with the file's modification time.
	readAt := time.Now()
	s.stat, _ = os.Stat(s.path)
	s.racy = s.stat != nil && readAt.Sub(s.stat.ModTime()) < racyWindow
	data, err := os.ReadFile(s.path)
	if err != nil {
		s.stat = nil // try again at every poll
	}
	return data, err
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
		// os.Stat follows symlinks: a swapped ConfigMap shows as another file.
		return !os.SameFile(now, s.stat) || now.Size() != s.stat.Size() || !now.ModTime().Equal(s.stat.ModTime())
	}
}
