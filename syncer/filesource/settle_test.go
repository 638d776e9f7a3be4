package filesource

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gslbdns/gslb/syncer/internal/clock"
)

// tableOf returns a members file holding the names, one address each.
func tableOf(names ...string) string {
	var b strings.Builder
	b.WriteString("records:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  - fqdn: %s\n    members: [{address: 10.0.0.1}]\n", n)
	}
	return b.String()
}

var four = []string{"a.example.", "b.example.", "c.example.", "d.example."}

// wantNames waits for the next report and checks it is a change to exactly names.
func (r *reports) wantNames(t *testing.T, names ...string) {
	t.Helper()
	recs, err := r.next(t)
	if err != nil {
		t.Fatalf("error %v, want a change to %v", err, names)
	}
	var got []string
	for _, rec := range recs {
		got = append(got, rec.Fqdn)
	}
	if !slices.Equal(got, names) {
		t.Fatalf("change to %v, want %v", got, names)
	}
}

func waitTimers(t *testing.T, clk *clock.Fake, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	defer cancel()
	if err := clk.WaitForTimers(ctx, n); err != nil {
		t.Fatalf("the watcher never waited on %d timers", n)
	}
}

// The stat poll does not read a file it just saw change: it waits until the
// file has been stable for the settle time, so a writer caught half-way (a
// file cut after its third record, which still parses) is never reported.
func TestWatchPollWaitsUntilStable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "members.yaml")
	write(t, path, tableOf(four...))
	clk := clock.NewFake(time.Unix(0, 0))
	s := New(path, Options{PollOnly: true, PollInterval: time.Second, Clock: clk})
	if _, err := s.load(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := startWatch(t, s, nil) // the test moves the clock itself
	waitIdle(t, clk)

	write(t, path, tableOf(four[:3]...)) // in place, half-way: d is missing
	clk.Advance(time.Second)             // the poll sees the change...
	waitTimers(t, clk, 2)                // ...and waits: the next poll and the settle time
	r.nothing(t)

	write(t, path, tableOf(append(four, "e.example.")...)) // the writer finishes
	clk.Advance(DefaultDebounce)                           // changed since the poll: wait again
	waitTimers(t, clk, 2)
	r.nothing(t)
	clk.Advance(DefaultDebounce)
	r.wantNames(t, append(four, "e.example.")...)
}

// A change written in place that would remove more than half of the records
// is held back (and said so) until the file has been stable for DeleteHold,
// then applied: a real deletion still happens. Smaller deletions, and any
// file replaced atomically, apply at once.
func TestWatchHoldsMassDeletion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "members.yaml")
	write(t, path, tableOf(four...))
	clk := clock.NewFake(time.Unix(0, 0))
	s := New(path, Options{Clock: clk})
	if _, err := s.load(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := startWatch(t, s, clk)
	waitIdle(t, clk)

	start := clk.Now()
	write(t, path, tableOf("a.example.")) // 3 of 4 removed, in place
	r.wantError(t, "the change would remove 3 of 4 records; held back until the file has been unchanged for 2s")
	r.wantNames(t, "a.example.")
	if d := clk.Now().Sub(start); d < DefaultDeleteHold {
		t.Errorf("applied after %v, want the hold of %v first", d, DefaultDeleteHold)
	}

	write(t, path, tableOf(four...))
	r.wantNames(t, four...) // additions are never held
	start = clk.Now()
	write(t, path, tableOf(four[:2]...)) // 2 of 4: not more than half
	r.wantNames(t, four[:2]...)
	if d := clk.Now().Sub(start); d >= DefaultDeleteHold {
		t.Errorf("a deletion of half the records waited %v", d)
	}

	write(t, path, tableOf(four...))
	r.wantNames(t, four...)
	start = clk.Now()
	replace(t, path, tableOf("z.example.")) // atomic: a complete file
	r.wantNames(t, "z.example.")
	if d := clk.Now().Sub(start); d >= DefaultDeleteHold {
		t.Errorf("an atomic replacement waited %v", d)
	}
}

// With DeleteShare 1 the hold is off.
func TestWatchHoldOff(t *testing.T) {
	path := filepath.Join(t.TempDir(), "members.yaml")
	write(t, path, tableOf(four...))
	clk := clock.NewFake(time.Unix(0, 0))
	s := New(path, Options{Clock: clk, DeleteShare: 1})
	if _, err := s.load(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := startWatch(t, s, clk)
	waitIdle(t, clk)
	write(t, path, tableOf("a.example."))
	r.wantNames(t, "a.example.")
}

// load, too, waits until the file has been stable for the settle time: a
// file modified just now is read once the writer is done.
func TestLoadWaitsUntilStable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "members.yaml")
	write(t, path, tableOf(four[:1]...)) // half-way
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(st.ModTime()) // the file was modified "just now"
	s := New(path, Options{Clock: clk})
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		recs, err := s.load(context.Background())
		done <- result{len(recs), err}
	}()
	waitTimers(t, clk, 1) // load waits for the settle time
	select {
	case r := <-done:
		t.Fatalf("load returned %d records at once (%v)", r.n, r.err)
	default:
	}
	write(t, path, tableOf(four...)) // the writer finishes
	clk.Advance(time.Minute)         // and the file stays as it is
	if r := <-done; r.err != nil || r.n != len(four) {
		t.Fatalf("load: %d records (%v), want %d", r.n, r.err, len(four))
	}
}
