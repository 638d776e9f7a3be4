package gslb

import (
	"math/rand/v2"
	"slices"
	"sync/atomic"
)

// Rand is the source of randomness of the `random` algorithm. It must be safe
// for concurrent use. Tests inject a deterministic one.
type Rand interface {
	// Uint32N returns a uniform number in [0, n). n > 0.
	Uint32N(n uint32) uint32
}

// runtimeRand uses the runtime's per-thread generator: lock-free and safe for
// concurrent use.
type runtimeRand struct{}

func (runtimeRand) Uint32N(n uint32) uint32 { return rand.Uint32N(n) }

// picker chooses the index of one candidate. It is immutable apart from the
// WRR position counter, which is advanced atomically, so a query never locks.
type picker struct {
	random bool
	// sched is the WRR schedule: candidate indexes, each appearing exactly
	// weight/g times (g the GCD of the weights), interleaved smoothly. Schedules
	// are interned by weight vector, so records with the same split share one.
	sched []uint16
	// cum holds the cumulative weights for weighted random choice.
	cum []uint32
	pos atomic.Uint32
}

// pick returns the index of the chosen candidate.
func (p *picker) pick(r Rand) int {
	if p.random {
		total := p.cum[len(p.cum)-1]
		x := r.Uint32N(total)
		// Members are few; a linear scan beats a binary search below ~16.
		for i, c := range p.cum {
			if x < c {
				return i
			}
		}
		return len(p.cum) - 1
	}
	n := p.pos.Add(1) - 1
	return int(p.sched[n%uint32(len(p.sched))])
}

// scheduleCache interns schedules during one table build.
type scheduleCache map[string][]uint16

// schedule returns the smooth WRR schedule for the weights (all > 0).
func (c scheduleCache) schedule(weights []uint32) []uint16 {
	key := make([]byte, 0, 4*len(weights))
	for _, w := range weights {
		key = append(key, byte(w>>24), byte(w>>16), byte(w>>8), byte(w))
	}
	if s, ok := c[string(key)]; ok {
		return s
	}
	s := buildSchedule(weights)
	c[string(key)] = s
	return s
}

// buildSchedule spreads each candidate i over the cycle at the virtual times
// (2j+1)/(2*w_i), j = 0..w_i-1, and orders all slots by time (ties by index).
// Every candidate gets exactly w_i slots per cycle (after dividing all weights
// by their GCD), so over any whole cycle the counts equal the weights, and
// the slots of each candidate are evenly spaced: 6:4:2 gives
// 0 1 0 2 1 0 | 0 1 0 2 1 0 ... rather than 0 0 0 1 1 2.
func buildSchedule(weights []uint32) []uint16 {
	g := uint32(0)
	for _, w := range weights {
		g = gcd(g, w)
	}
	type slot struct {
		num, den uint64 // virtual time num/den
		idx      uint16
	}
	total := 0
	for _, w := range weights {
		total += int(w / g)
	}
	slots := make([]slot, 0, total)
	for i, w := range weights {
		w /= g
		for j := uint32(0); j < w; j++ {
			slots = append(slots, slot{num: uint64(2*j + 1), den: uint64(2 * w), idx: uint16(i)})
		}
	}
	slices.SortFunc(slots, func(a, b slot) int {
		l, r := a.num*b.den, b.num*a.den
		switch {
		case l < r:
			return -1
		case l > r:
			return 1
		}
		return int(a.idx) - int(b.idx)
	})
	s := make([]uint16, len(slots))
	for i, sl := range slots {
		s[i] = sl.idx
	}
	return s
}

func gcd(a, b uint32) uint32 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
