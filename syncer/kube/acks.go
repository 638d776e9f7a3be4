package kube

// What the name servers were given and what they acknowledged
// (source.StatusSink): the table the prober last published, with the
// members' health it found, and for each name server whether it holds
// that table. The policies' Synced condition says it (status.go).

import (
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/kube/table"
	"github.com/gslbdns/gslb/syncer/source"
)

// acks is the name servers' side of the status. Only Published, Acked and
// snapshot touch it, under Source.acksMu.
type acks struct {
	records []*gslbv1.Record // the table last published; nil: none yet
	since   time.Time        // when it was published (or the source started)
	targets []string         // the name servers, in the syncer's order
	want    map[string]uint64
	acked   map[string]uint64 // the last generation each acknowledged
}

// Published implements source.StatusSink.
func (s *Source) Published(records []*gslbv1.Record, gens []source.TargetGeneration) {
	s.acksMu.Lock()
	a := &s.acks
	a.records, a.since = records, time.Now()
	for _, g := range gens {
		if _, ok := a.want[g.Target]; !ok {
			a.targets = append(a.targets, g.Target)
		}
		a.want[g.Target] = g.Generation
	}
	s.acksMu.Unlock()
	s.kickStatus()
}

// Acked implements source.StatusSink.
func (s *Source) Acked(target string, gen uint64) {
	s.acksMu.Lock()
	s.acks.acked[target] = max(s.acks.acked[target], gen)
	s.acksMu.Unlock()
	s.kickStatus()
}

// startAcks starts the wait for the first table: the start-up wait for
// the caches does not count.
func (s *Source) startAcks() {
	s.acksMu.Lock()
	s.acks.since = time.Now()
	s.acksMu.Unlock()
}

// pushed returns what the acks say now.
func (s *Source) pushed() table.Push {
	s.acksMu.Lock()
	defer s.acksMu.Unlock()
	a := &s.acks
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
