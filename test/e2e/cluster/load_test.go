package cluster_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gslbdns/gslb/test/e2e/harness"
	"github.com/gslbdns/gslb/test/kubescenario"

	"github.com/miekg/dns"
)

// loadPace is the gap between two queries of one client (about 50 a second).
const loadPace = 20 * time.Millisecond

// counts are one client's queries in one phase.
type counts struct {
	ok, failed atomic.Int64
	lastErr    atomic.Pointer[string]
}

// load is a client asking for hello without pause, counting the queries of
// each phase: an answer is good when it is NOERROR with exactly one A record.
type load struct {
	name   string
	mu     sync.Mutex
	phases []string
	byName map[string]*counts
	cur    atomic.Pointer[counts]
}

func newLoad(name string) *load {
	return &load{name: name, byName: map[string]*counts{}}
}

// phase makes the following queries count for phase p.
func (l *load) phase(p string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := &counts{}
	l.phases = append(l.phases, p)
	l.byName[p] = c
	l.cur.Store(c)
}

// get returns the counts of phase p.
func (l *load) get(p string) (ok, failed int64, lastErr string) {
	l.mu.Lock()
	c := l.byName[p]
	l.mu.Unlock()
	if c == nil {
		return 0, 0, ""
	}
	if e := c.lastErr.Load(); e != nil {
		lastErr = *e
	}
	return c.ok.Load(), c.failed.Load(), lastErr
}

// run queries through c until ctx ends.
func (l *load) run(ctx context.Context, c *harness.Client) {
	tick := time.NewTicker(loadPace)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		cur := l.cur.Load()
		if cur == nil {
			continue
		}
		r, err := c.Exchange(kubescenario.Hello, dns.TypeA)
		if err == nil && (r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1) {
			err = fmt.Errorf("answer %s", harness.Brief(r))
		}
		if err != nil {
			cur.failed.Add(1)
			s := err.Error()
			cur.lastErr.Store(&s)
			continue
		}
		cur.ok.Add(1)
	}
}

// report is the table of counts per phase of every load.
func report(loads ...*load) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-28s", "phase")
	for _, l := range loads {
		fmt.Fprintf(&b, " | %-30s", l.name+" ok/failed")
	}
	b.WriteString("\n")
	for _, p := range loads[0].phases {
		fmt.Fprintf(&b, "%-28s", p)
		for _, l := range loads {
			ok, failed, _ := l.get(p)
			fmt.Fprintf(&b, " | %-30s", fmt.Sprintf("%d/%d", ok, failed))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// startLoads starts the loads, each with its client, and stops them with t.
func startLoads(t *testing.T, loads map[*load]*harness.Client) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for l, c := range loads {
		wg.Go(func() { l.run(ctx, c) })
	}
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
}
