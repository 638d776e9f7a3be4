package kube

// What the name servers were given and what they acknowledged
// (source.StatusSink): the table the prober last published, with the
// members' health it found, and for each name server whether it holds
// that table. The policies' Synced condition says it (table/status.go).

import (
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/kube/table"
	"github.com/gslbdns/gslb/syncer/source"
)

// acks is the name servers' side of the status. Only Published, Acked and
// pushed touch it, under ControlPlane.acksMu.
type acks struct {
	records []*gslbv1.Record // the table last published; nil: none yet
	since   time.Time        // when it was published (or the source started)
	targets []string         // the name servers, in the syncer's order
	want    map[string]uint64
	acked   map[string]uint64 // the last generation each acknowledged
}

// Published implements source.StatusSink.
func (p *ControlPlane) Published(records []*gslbv1.Record, gens []source.TargetGeneration) {
	p.acksMu.Lock()
	a := &p.acks
	a.records, a.since = records, time.Now()
	for _, g := range gens {
		if _, ok := a.want[g.Target]; !ok {
			a.targets = append(a.targets, g.Target)
		}
		a.want[g.Target] = g.Generation
	}
	p.acksMu.Unlock()
	p.kickStatus()
}

// Acked implements source.StatusSink.
func (p *ControlPlane) Acked(target string, gen uint64) {
	p.acksMu.Lock()
	p.acks.acked[target] = max(p.acks.acked[target], gen)
	p.acksMu.Unlock()
	p.kickStatus()
}

// startAcks starts the wait for the first table: the start-up wait for
// the caches does not count.
func (p *ControlPlane) startAcks() {
	p.acksMu.Lock()
	p.acks.since = time.Now()
	p.acksMu.Unlock()
}

// pushed returns what the acks say now.
func (p *ControlPlane) pushed() table.Push {
	p.acksMu.Lock()
	defer p.acksMu.Unlock()
	a := &p.acks
	v := table.Push{Records: a.records, Since: a.since, Targets: len(a.targets)}
	for _, t := range a.targets {
		if a.acked[t] < a.want[t] {
			v.Pending = append(v.Pending, t)
		}
	}
	return v
}

// newAcks returns the acks of a source that starts now: the status waits
// up to table.AckWait for the first table to be published and acknowledged.
func newAcks(now time.Time) acks {
	return acks{since: now, want: map[string]uint64{}, acked: map[string]uint64{}}
}
