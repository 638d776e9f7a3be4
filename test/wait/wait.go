// Package wait is how the repository's tests wait for a condition: they
// poll it with a deadline, never sleep a fixed time as synchronisation.
// It is not under test/internal so that the unit tests of plugin/ and
// syncer/ can use it too.
package wait

import (
	"context"
	"testing"
	"time"
)

// interval is how often a condition is polled.
const interval = 10 * time.Millisecond

// For polls cond until it holds; it fails t, naming what, when cond does
// not hold within d.
func For(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", d, what)
		}
		time.Sleep(interval)
	}
}

// Poll calls fn until it returns nil; it fails t with what and fn's last
// error when ctx ends first.
func Poll(ctx context.Context, t testing.TB, what string, fn func() error) {
	t.Helper()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		err := fn()
		if err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: %v", what, err)
		case <-tick.C:
		}
	}
}
