package statuspage

// The probes' decisions: each probed address's health since when, and the
// last transitions, kept from health.Prober.WatchDecisions.

import (
	"strings"
	"sync"
	"time"

	"github.com/gslbdns/gslb/syncer/health"
)

// keepTransitions is how many transitions the page shows.
const keepTransitions = 50

// Transition is one change of a probed address's health.
type Transition struct {
	At      time.Time `json:"at"`
	Address string    `json:"address"`
	Health  string    `json:"health"` // up or down
	Reason  string    `json:"reason,omitempty"`
}

// decisions keeps the latest decision per address and the recent
// transitions. The first batch WatchDecisions gives is the state at
// start, not transitions.
type decisions struct {
	mu     sync.Mutex
	latest map[string]health.Decision // by address
	recent []Transition               // oldest first, at most keepTransitions
	primed bool
}

func newDecisions() *decisions {
	return &decisions{latest: map[string]health.Decision{}}
}

// observe is the WatchDecisions callback: it runs under the prober's lock,
// so it only records.
func (d *decisions) observe(ds []health.Decision) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, x := range ds {
		addr := addressOf(x.Target)
		d.latest[addr] = x
		if d.primed {
			d.recent = append(d.recent, Transition{At: x.Since, Address: addr, Health: healthWord(x.Health), Reason: x.Reason})
		}
	}
	d.primed = true
	if n := len(d.recent); n > keepTransitions {
		d.recent = append(d.recent[:0], d.recent[n-keepTransitions:]...)
	}
}

// since is when the address's health was last decided (zero: unknown).
func (d *decisions) since(addr string) time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.latest[addr].Since
}

// transitions returns the recent transitions, newest first.
func (d *decisions) transitions() []Transition {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]Transition, len(d.recent))
	for i, t := range d.recent {
		out[len(out)-1-i] = t
	}
	return out
}

// addressOf is the address in a health.Target key ("ADDRESS|check...").
// An address probed with several checks shows its latest decision.
func addressOf(key string) string {
	addr, _, _ := strings.Cut(key, "|")
	return addr
}
