package harness

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// PollInterval is the pause between two tries of a polled condition. It is
// not a synchronisation: every wait is bounded by a deadline and checks the
// condition itself.
const PollInterval = 10 * time.Millisecond

// permanent marks an error that no further polling can cure.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent wraps err so that Within and Eventually stop polling at once
// (e.g. the process that should make the condition true has exited).
func Permanent(err error) error { return permanent{err} }

// Within polls fn until it returns nil, or the timeout passes, or fn returns
// a Permanent error; then it returns the last error. It may be used outside
// the test goroutine.
func Within(timeout time.Duration, fn func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := fn()
		if err == nil {
			return nil
		}
		var p permanent
		if errors.As(err, &p) {
			return p.err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("still failing after %v: %w", timeout, err)
		}
		time.Sleep(PollInterval)
	}
}

// Eventually polls fn until it returns nil; after timeout (or at once for a
// Permanent error) it fails the test with fn's last error.
func Eventually(t testing.TB, timeout time.Duration, fn func() error) {
	t.Helper()
	if err := Within(timeout, fn); err != nil {
		t.Fatalf("harness: %v", err)
	}
}
