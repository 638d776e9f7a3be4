package observed

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestWaitFor(t *testing.T) {
	var v Value[int]
	done := make(chan int)
	go func() {
		got, err := v.WaitFor(context.Background(), func(n int) bool { return n >= 3 })
		if err != nil {
			t.Error(err)
		}
		done <- got
	}()
	for range 3 {
		v.Update(func(n *int) { *n++ })
	}
	if got := <-done; got != 3 {
		t.Errorf("WaitFor returned %d, want 3", got)
	}
	if got := v.Get(); got != 3 {
		t.Errorf("Get %d, want 3", got)
	}
}

func TestWaitForContext(t *testing.T) {
	var v Value[string]
	v.Update(func(s *string) { *s = "last" })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	got, err := v.WaitFor(ctx, func(s string) bool { return s == "never" })
	if !errors.Is(err, context.DeadlineExceeded) || got != "last" {
		t.Errorf("WaitFor = %q, %v; want the last value and the context's error", got, err)
	}
}
