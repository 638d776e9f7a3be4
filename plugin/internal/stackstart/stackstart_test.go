package stackstart

import (
	"runtime"
	"runtime/metrics"
	"testing"
)

func startSize() uint64 {
	s := []metrics.Sample{{Name: "/gc/stack/starting-size:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// TestHold checks the runtime's own figure: after a GC, new goroutines start
// with the size held, and with Go's default again once released.
func TestHold(t *testing.T) {
	runtime.GC()
	runtime.GC()
	base := startSize()
	for _, size := range []int{MinSize * 2, 16 << 10, 32 << 10} {
		stop, err := Hold(size)
		if err != nil {
			t.Fatal(err)
		}
		runtime.GC()
		if got := startSize(); got != uint64(size) {
			t.Errorf("holding %d: new goroutines start with %d bytes", size, got)
		}
		stop()
		runtime.GC() // the parked goroutines end: the next GC no longer sees them
		runtime.GC()
		if got := startSize(); got != base {
			t.Errorf("released %d: start %d, want %d as before", size, got, base)
		}
	}
}

func TestHoldRefuses(t *testing.T) {
	for _, size := range []int{-1, 1, MinSize / 2, 5000, MaxSize * 2} {
		if _, err := Hold(size); err == nil {
			t.Errorf("Hold(%d): no error", size)
		}
	}
	stop, err := Hold(0)
	if err != nil {
		t.Fatal(err)
	}
	stop()
}
