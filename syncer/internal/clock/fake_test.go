package clock

import (
	"context"
	"testing"
	"time"
)

func TestFakeFiresDueTimersOnly(t *testing.T) {
	start := time.Unix(1000, 0)
	f := NewFake(start)
	short := f.NewTimer(time.Second)
	long := f.NewTimer(time.Minute)
	if n := f.ActiveTimers(); n != 2 {
		t.Fatalf("ActiveTimers = %d, want 2", n)
	}
	if p := f.Pending(); len(p) != 2 || p[0] != time.Second || p[1] != time.Minute {
		t.Fatalf("Pending = %v, want [1s 1m0s]", p)
	}
	f.Advance(time.Second)
	select {
	case got := <-short.C():
		if want := start.Add(time.Second); !got.Equal(want) {
			t.Errorf("fired at %v, want %v", got, want)
		}
	default:
		t.Fatal("the 1s timer did not fire after 1s")
	}
	select {
	case <-long.C():
		t.Fatal("the 1m timer fired after 1s")
	default:
	}
	if long.Stop() != true || long.Stop() != false {
		t.Error("Stop should report true once, then false")
	}
	if n := f.ActiveTimers(); n != 0 {
		t.Errorf("ActiveTimers = %d after stop, want 0", n)
	}
}

func TestFakeStopTakesBackAnUnreceivedTime(t *testing.T) {
	f := NewFake(time.Unix(0, 0))
	tm := f.NewTimer(time.Second)
	f.Advance(time.Second)
	if !tm.Stop() {
		t.Error("Stop of a fired timer whose time was not received = false, want true")
	}
	select {
	case <-tm.C():
		t.Error("received a time after Stop")
	default:
	}
}

func TestFakeWaitForTimers(t *testing.T) {
	f := NewFake(time.Unix(0, 0))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- f.WaitForTimers(ctx, 1) }()
	tm := f.NewTimer(time.Second)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	tm.Stop()

	short, cancelShort := context.WithCancel(context.Background())
	cancelShort()
	if err := f.WaitForTimers(short, 1); err == nil {
		t.Error("WaitForTimers with no timer and a cancelled context returned nil")
	}
}

func TestFakeZeroDurationFiresAtOnce(t *testing.T) {
	f := NewFake(time.Unix(0, 0))
	select {
	case <-f.NewTimer(0).C():
	default:
		t.Fatal("a zero timer did not fire at once")
	}
}
