// Package observed is a value that goroutines can read, change and wait on:
// the progress counters of the pushers and of the prober.
package observed

import (
	"context"
	"sync"
)

// Value holds a T. The zero Value holds T's zero value and is ready to use;
// it must not be copied after first use.
type Value[T any] struct {
	mu      sync.Mutex
	v       T
	changed chan struct{} // closed and replaced at each Update
}

// Get returns a copy of the value.
func (o *Value[T]) Get() T {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.v
}

// Update changes the value with f, under the lock, and wakes the waiters.
func (o *Value[T]) Update(f func(*T)) {
	o.mu.Lock()
	defer o.mu.Unlock()
	f(&o.v)
	if o.changed != nil {
		close(o.changed)
		o.changed = nil
	}
}

// WaitFor blocks until cond holds for the value, or ctx ends, and returns
// the value that satisfied it (or the last one seen, with ctx's error).
func (o *Value[T]) WaitFor(ctx context.Context, cond func(T) bool) (T, error) {
	for {
		o.mu.Lock()
		v := o.v
		if o.changed == nil {
			o.changed = make(chan struct{})
		}
		changed := o.changed
		o.mu.Unlock()
		if cond(v) {
			return v, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return v, ctx.Err()
		}
	}
}
