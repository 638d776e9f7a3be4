// Package stackstart sets the size of the stack new goroutines start with.
//
// Why a DNS server needs it: miekg/dns serves every UDP query in a new
// goroutine, and the query's path through CoreDNS's server and plugin chain is
// deeper than the 2–4 KiB a new goroutine gets. So every query grows its
// stack, allocating a larger one and copying it, once or twice: 20–25% of
// coredns-gslb's CPU under load with the shipped Corefile (BENCHMARKS.md,
// "Speed as deployed").
//
// How: since Go 1.19 the runtime starts new goroutines with the average stack
// in use that the last GC saw, plus a guard, rounded up to a power of two
// (runtime.gcComputeStartingStackSize; GODEBUG adaptivestackstart=1, the
// default). Hold parks a few hundred goroutines, each with a known depth of
// stack in use, so that the average, and with it the start size, becomes the
// size asked for. The runtime's own rule does the rest: it still grows a
// stack that needs more and shrinks one that uses little.
//
// Cost: the parked stacks (goroutines × size, 2 MiB for 256 × 8 KiB) and the
// larger start of every goroutine. When the process runs many more goroutines
// than Hold parks, each with a shallow stack, the average falls back towards
// Go's default: it degrades to today's behaviour, never below it.
package stackstart

import (
	"fmt"
	"math/bits"
	"sync"
)

// Goroutines is how many parked goroutines hold the average: many more than
// an idle coredns-gslb runs (about 40), so they decide it.
const Goroutines = 256

// frameBytes is the stack one level of hold uses: its padding plus the
// call's own frame (return address, frame pointer, arguments).
const frameBytes = 1024

// MinSize and MaxSize bound the sizes Hold accepts: Go's own minimum stack
// and a size whose parked stacks still cost little memory.
const (
	MinSize = 4 << 10
	MaxSize = 64 << 10
)

// Hold makes new goroutines start with size bytes of stack (a power of two
// between MinSize and MaxSize) from the next GC on, until stop is called.
// Size 0 holds nothing: Go's default.
func Hold(size int) (stop func(), err error) {
	if size == 0 {
		return func() {}, nil
	}
	if err := check(size); err != nil {
		return nil, err
	}
	release := make(chan struct{})
	var parked sync.WaitGroup
	parked.Add(Goroutines)
	for range Goroutines {
		go hold(levels(size), parked.Done, release)
	}
	parked.Wait()
	return func() { close(release) }, nil
}

func check(size int) error {
	if size < MinSize || size > MaxSize {
		return fmt.Errorf("stack start %d: not between %d and %d bytes", size, MinSize, MaxSize)
	}
	if bits.OnesCount(uint(size)) != 1 {
		return fmt.Errorf("stack start %d: not a power of two", size)
	}
	return nil
}

// levels is how deep each parked goroutine goes: about five eighths of size,
// so the average plus the runtime's guard (under 1 KiB) stays above half of
// size and below size, and rounds up to size, even when the other goroutines'
// shallow stacks pull the average down or a frame is larger than counted.
func levels(size int) int {
	return size * 5 / 8 / frameBytes
}

// hold goes n frames deep, says it is parked, and stays there until
// release is closed.
//
//go:noinline
func hold(n int, parked func(), release <-chan struct{}) byte {
	var pad [frameBytes - 64]byte
	pad[n%len(pad)] = byte(n)
	if n <= 1 {
		parked()
		<-release
		return pad[0]
	}
	return hold(n-1, parked, release) + pad[(n+1)%len(pad)]
}
