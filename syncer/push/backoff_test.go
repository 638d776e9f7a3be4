package push

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name string
		rand float64
		want []time.Duration
	}{
		{"no jitter", 0.5, []time.Duration{100 * ms, 200 * ms, 400 * ms, 800 * ms, 1600 * ms, 3200 * ms, 5000 * ms, 5000 * ms}},
		{"least", 0, []time.Duration{80 * ms, 160 * ms, 320 * ms, 640 * ms, 1280 * ms, 2560 * ms, 4000 * ms, 4000 * ms}},
		{"+10%, capped", 0.75, []time.Duration{110 * ms, 220 * ms, 440 * ms, 880 * ms, 1760 * ms, 3520 * ms, 5000 * ms, 5000 * ms}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := backoff{base: DefaultBackoffBase, max: DefaultBackoffMax, rand: func() float64 { return tt.rand }}
			for i, want := range tt.want {
				if got := b.next().Round(time.Millisecond); got != want {
					t.Errorf("delay %d = %v, want %v", i+1, got, want)
				}
			}
		})
	}
}

func TestBackoffResetAndManyFailures(t *testing.T) {
	b := backoff{base: DefaultBackoffBase, max: DefaultBackoffMax, rand: func() float64 { return 0.5 }}
	for range 100 {
		if d := b.next(); d > DefaultBackoffMax || d <= 0 {
			t.Fatalf("delay %v out of (0, %v]", d, DefaultBackoffMax)
		}
	}
	b.reset()
	if d := b.next(); d != DefaultBackoffBase {
		t.Errorf("after reset: %v, want %v", d, DefaultBackoffBase)
	}
}
