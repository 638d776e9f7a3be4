package push

import "time"

// backoff spaces out reconnection attempts: base, doubling after each
// failure up to max, each delay jittered by ±20% (and still at most max) so
// that syncers restarted together do not retry in step.
type backoff struct {
	base, max time.Duration
	rand      func() float64 // in [0, 1)
	failures  int
}

// next returns the delay before the next attempt, and counts a failure.
func (b *backoff) next() time.Duration {
	d := b.max
	if b.failures < 30 { // beyond, the shift overflows; max is long reached
		d = min(b.base<<b.failures, b.max)
	}
	b.failures++
	jittered := time.Duration(float64(d) * (0.8 + 0.4*b.rand()))
	return min(jittered, b.max)
}

// reset starts again from base, after a success.
func (b *backoff) reset() { b.failures = 0 }
