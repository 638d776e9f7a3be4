package filesource

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/internal/clock"
)

// testDeadline bounds every wait: generous, because the machine may be busy;
// the waits end as soon as the awaited report arrives.
const testDeadline = time.Minute

// table returns a valid members file whose only record is fqdn.
func table(fqdn string) string {
	return fmt.Sprintf("records:\n  - fqdn: %s\n    members: [{address: 10.0.0.1}]\n", fqdn)
}

// reports collects what a watcher reports.
type reports struct {
	changes chan []*gslbv1.Record
	times   chan time.Time // with startWatchTimed: the time of each change, sent before it
	errs    chan error
	// clk, when set, is the watcher's fake clock: waiting for a report then
	// lets the debounce run out whenever the watcher has one pending.
	clk *clock.Fake
}

func newReports(clk *clock.Fake) *reports {
	return &reports{changes: make(chan []*gslbv1.Record, 100), times: make(chan time.Time, 100), errs: make(chan error, 100), clk: clk}
}

func (r *reports) onChange(recs []*gslbv1.Record) { r.changes <- recs }
func (r *reports) onError(err error)              { r.errs <- err }
func (r *reports) onTimed(recs []*gslbv1.Record, since time.Time) {
	r.times <- since
	r.changes <- recs
}

// wantSince checks the time of the change last reported by startWatchTimed.
func (r *reports) wantSince(t *testing.T, want time.Time) {
	t.Helper()
	select {
	case got := <-r.times:
		if !got.Equal(want) {
			t.Errorf("change noticed at %v, want %v", got, want)
		}
	default:
		t.Fatal("no time reported with the change")
	}
}

// next waits for the next report: a change or an error.
func (r *reports) next(t *testing.T) ([]*gslbv1.Record, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	defer cancel()
	for {
		// With a fake clock, two timers mean the poll's and a debounce:
		// an event was seen and the read waits for the time to pass.
		debouncing := make(chan error, 1)
		wctx, stopWaiting := context.WithCancel(ctx)
		if r.clk != nil {
			go func() { debouncing <- r.clk.WaitForTimers(wctx, 2) }()
		}
		select {
		case recs := <-r.changes:
			stopWaiting()
			return recs, nil
		case err := <-r.errs:
			stopWaiting()
			return nil, err
		case err := <-debouncing:
			stopWaiting()
			if err == nil {
				r.clk.Advance(DefaultDebounce)
			}
		case <-ctx.Done():
			stopWaiting()
			t.Fatalf("nothing reported within %v", testDeadline)
		}
	}
}

// wantChange waits for the next report and checks that it is a change to a
// table holding fqdn only.
func (r *reports) wantChange(t *testing.T, fqdn string) {
	t.Helper()
	recs, err := r.next(t)
	if err != nil {
		t.Fatalf("error %v, want a change to %s", err, fqdn)
	}
	if len(recs) != 1 || recs[0].Fqdn != fqdn {
		t.Fatalf("change %v, want one record %s", recs, fqdn)
	}
}

// wantError waits for the next report and checks that it is an error
// containing want.
func (r *reports) wantError(t *testing.T, want string) {
	t.Helper()
	recs, err := r.next(t)
	if err == nil {
		t.Fatalf("change %v, want an error %q", recs, want)
	}
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q, want %q", err, want)
	}
}

// nothing checks that nothing was reported so far.
func (r *reports) nothing(t *testing.T) {
	t.Helper()
	select {
	case recs := <-r.changes:
		t.Fatalf("unexpected change %v", recs)
	case err := <-r.errs:
		t.Fatalf("unexpected error %v", err)
	default:
	}
}

// replace writes content next to path and renames it over path, the way
// careful editors and config tools do.
func replace(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// startWatch runs s.watch until the test ends, reporting the records.
func startWatch(t *testing.T, s *Source, clk *clock.Fake) *reports {
	t.Helper()
	return startWatchWith(t, clk, func(ctx context.Context, r *reports) error {
		return s.watch(ctx, func(recs []*gslbv1.Record, _ time.Time) { r.onChange(recs) }, r.onError)
	})
}

// startWatchTimed runs s.watch until the test ends, reporting the records
// and the time of each change.
func startWatchTimed(t *testing.T, s *Source, clk *clock.Fake) *reports {
	t.Helper()
	return startWatchWith(t, clk, func(ctx context.Context, r *reports) error { return s.watch(ctx, r.onTimed, r.onError) })
}

func startWatchWith(t *testing.T, clk *clock.Fake, watch func(context.Context, *reports) error) *reports {
	t.Helper()
	r := newReports(clk)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- watch(ctx, r) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("watch returned %v", err)
		}
	})
	return r
}

// eventSource returns a Source on a fake clock, loaded and watched, with file
// system events on. The poll is never due: only events can find changes.
func eventSource(t *testing.T, path string) *reports {
	t.Helper()
	clk := clock.NewFake(time.Unix(0, 0))
	s := New(path, Options{Clock: clk})
	if _, err := s.load(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := startWatch(t, s, clk)
	waitIdle(t, clk)
	return r
}

// waitIdle waits until the watcher on clk has made its first check and waits
// for its poll timer.
func waitIdle(t *testing.T, clk *clock.Fake) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	defer cancel()
	if err := clk.WaitForTimers(ctx, 1); err != nil {
		t.Fatal("watcher never waited for its poll timer")
	}
}

// TestWatchEvents follows the file through file system events.
func TestWatchEvents(t *testing.T) {
	path := filepath.Join(t.TempDir(), "members.yaml")
	write(t, path, table("v1.example."))
	r := eventSource(t, path)

	replace(t, path, table("v2.example."))
	r.wantChange(t, "v2.example.")

	// In place: os.WriteFile truncates, then writes. The change removes
	// every record, so it is held back (and said so) until the file has been
	// stable for DeleteHold, then applied.
	write(t, path, table("v3.example."))
	r.wantError(t, "the change would remove 1 of 1 records; held back until the file has been unchanged for 2s")
	r.wantChange(t, "v3.example.")

	// An invalid file is reported, and is no change: the caller keeps the
	// last good table.
	replace(t, path, "records:\n  - fqdn: v4.example.\n    ttl: -1\n")
	r.wantError(t, path+`:3: record "v4.example.": ttl -1 must be between 0 and 2147483647`)

	replace(t, path, table("v5.example."))
	r.wantChange(t, "v5.example.")

	// Going back to content seen before is a change too.
	replace(t, path, table("v2.example."))
	r.wantChange(t, "v2.example.")
}

// TestWatchLatency checks, on the real clock, that an edit is reported
// within a second.
func TestWatchLatency(t *testing.T) {
	path := filepath.Join(t.TempDir(), "members.yaml")
	write(t, path, table("v1.example."))
	r := startWatch(t, New(path, Options{PollInterval: time.Hour}), nil)
	// Without a load the first report is the file as it is, made once the
	// directory is watched.
	r.wantChange(t, "v1.example.")

	start := time.Now()
	replace(t, path, table("v2.example."))
	r.wantChange(t, "v2.example.")
	if d := time.Since(start); d > time.Second {
		t.Errorf("the change was reported after %v, want within 1s", d)
	}
}

// TestWatchConfigMapSwap follows a file laid out the way the kubelet
// projects a ConfigMap, across an update (a swap of the "..data" symlink).
func TestWatchConfigMapSwap(t *testing.T) {
	dir := t.TempDir()
	version := func(name, content string) {
		if err := os.Mkdir(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(dir, name, "members.yaml"), content)
	}
	version("..2024_01_01_00_00_00.1", table("v1.example."))
	if err := os.Symlink("..2024_01_01_00_00_00.1", filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "members.yaml")
	if err := os.Symlink("..data/members.yaml", path); err != nil {
		t.Fatal(err)
	}
	r := eventSource(t, path)

	version("..2024_01_01_00_01_00.2", table("v2.example."))
	if err := os.Symlink("..2024_01_01_00_01_00.2", filepath.Join(dir, "..data_tmp")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, "..2024_01_01_00_00_00.1")); err != nil {
		t.Fatal(err)
	}
	r.wantChange(t, "v2.example.")
}

// pollSource returns a polling-only Source on a fake clock, loaded and
// watched; the returned function polls once and waits for the watcher to be
// idle again.
func pollSource(t *testing.T, path string) (*reports, func()) {
	t.Helper()
	clk := clock.NewFake(time.Unix(0, 0))
	s := New(path, Options{PollOnly: true, PollInterval: time.Second, Clock: clk})
	if _, err := s.load(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The reports let the settle time run out once the poll saw a change.
	r := startWatch(t, s, clk)
	waitIdle(t, clk)
	poll := func() {
		t.Helper()
		// The watcher is idle again once it has handled the poll and made
		// the next poll timer.
		clk.Advance(time.Second)
		waitIdle(t, clk)
	}
	return r, poll
}

// TestWatchPoll follows the file with the stat poll alone, as it happens when
// events are missed or unavailable.
func TestWatchPoll(t *testing.T) {
	path := filepath.Join(t.TempDir(), "members.yaml")
	write(t, path, table("v1.example."))
	r, poll := pollSource(t, path)

	replace(t, path, table("v2.example."))
	poll()
	r.wantChange(t, "v2.example.")

	write(t, path, "records: [")
	poll()
	r.wantError(t, path+":2: did not find expected node content")

	// A poll that finds nothing new reports nothing.
	poll()
	r.nothing(t)

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	poll()
	r.wantError(t, "no such file or directory")
	poll() // still missing: not reported again
	r.nothing(t)
	write(t, path, table("v3.example."))
	poll()
	r.wantChange(t, "v3.example.")
}

// TestWatchPollSameStat changes the file without changing its size or
// modification time, as two quick writes on a file system with a coarse
// clock do: the poll reads a recently modified file again anyway.
func TestWatchPollSameStat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "members.yaml")
	write(t, path, table("v1.example."))
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	r, poll := pollSource(t, path)

	write(t, path, table("v9.example."))
	if err := os.Chtimes(path, before.ModTime(), before.ModTime()); err != nil {
		t.Fatal(err)
	}
	poll()
	r.wantError(t, "held back") // written in place, every record replaced
	r.wantChange(t, "v9.example.")
}

// TestWatchTimed reports with each change when it was noticed: the first
// event of the burst that led to the read, or the poll that saw it.
func TestWatchTimed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "members.yaml")
	write(t, path, table("v1.example."))
	clk := clock.NewFake(time.Unix(0, 0))
	s := New(path, Options{Clock: clk})
	// Without a load, the first check reports the file, at once.
	r := startWatchTimed(t, s, clk)
	r.wantChange(t, "v1.example.")
	r.wantSince(t, time.Unix(0, 0))
	waitIdle(t, clk)

	// Events: the time of the first one, not of the read a debounce later.
	clk.Advance(10 * time.Second)
	waitIdle(t, clk) // the polls due meanwhile found nothing
	noticed := clk.Now()
	replace(t, path, table("v2.example."))
	r.wantChange(t, "v2.example.")
	r.wantSince(t, noticed)
	if clk.Now().Equal(noticed) {
		t.Error("the read did not wait for the debounce")
	}

	// The poll: the time of the poll that saw the file's stat change.
	pclk := clock.NewFake(time.Unix(100, 0))
	ps := New(path, Options{PollOnly: true, PollInterval: time.Second, Clock: pclk})
	if _, err := ps.load(context.Background()); err != nil {
		t.Fatal(err)
	}
	pr := startWatchTimed(t, ps, pclk)
	waitIdle(t, pclk)
	replace(t, path, table("v3.example."))
	pclk.Advance(time.Second)
	pr.wantChange(t, "v3.example.")
	pr.wantSince(t, time.Unix(101, 0))
}
