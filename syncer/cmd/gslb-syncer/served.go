package main

import (
	"context"
	"sync"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
)

// servedSink is a Source that wants the table published, with the health
// the prober filled in (the Kubernetes source writes it into its custom
// resources' status).
type servedSink interface {
	Served(records []*gslbv1.Record)
}

// servedFeed hands the published tables to a servedSink on a goroutine of
// its own, so that a slow sink never holds the prober up. Only the latest
// table matters: one offered while the sink is busy replaces any that
// waits.
type servedFeed struct {
	sink servedSink
	kick chan struct{} // capacity 1: a table waits

	mu      sync.Mutex
	latest  []*gslbv1.Record
	waiting bool // latest is not handed over yet
}

// newServedFeed returns the feed of src, or nil when src is no servedSink.
func newServedFeed(src Source) *servedFeed {
	sink, ok := src.(servedSink)
	if !ok {
		return nil
	}
	return &servedFeed{sink: sink, kick: make(chan struct{}, 1)}
}

// offer gives the feed a table; it never blocks.
func (f *servedFeed) offer(records []*gslbv1.Record) {
	f.mu.Lock()
	f.latest, f.waiting = records, true
	f.mu.Unlock()
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

// run calls the sink with the tables offered until ctx ends.
func (f *servedFeed) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-f.kick:
		}
		f.mu.Lock()
		recs, ok := f.latest, f.waiting
		f.latest, f.waiting = nil, false
		f.mu.Unlock()
		if ok {
			f.sink.Served(recs)
		}
	}
}
