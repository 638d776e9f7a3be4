package main

import (
	"context"
	"sync"
	"testing"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
)

// blockingSink is a servedSink whose Served waits for the test.
type blockingSink struct {
	Source
	calls   chan []*gslbv1.Record
	release chan struct{}
}

func (s *blockingSink) Served(recs []*gslbv1.Record) {
	s.calls <- recs
	<-s.release
}

func TestServedFeed(t *testing.T) {
	if f := newServedFeed(nil); f != nil {
		t.Error("a feed for a source that is no servedSink")
	}
	sink := &blockingSink{calls: make(chan []*gslbv1.Record), release: make(chan struct{})}
	f := newServedFeed(sink)
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { f.run(ctx) })
	defer func() {
		cancel()
		wg.Wait()
	}()
	table := func(fqdn string) []*gslbv1.Record { return []*gslbv1.Record{{Fqdn: fqdn}} }

	f.offer(table("one."))
	if got := <-sink.calls; got[0].GetFqdn() != "one." {
		t.Fatalf("Served %v, want one.", got)
	}
	// The sink is busy: offers do not block, and only the latest waits.
	f.offer(table("two."))
	f.offer(table("three."))
	f.offer([]*gslbv1.Record{}) // an empty table is a table
	sink.release <- struct{}{}
	if got := <-sink.calls; len(got) != 0 {
		t.Fatalf("Served %v, want the latest table (empty)", got)
	}
	sink.release <- struct{}{}
	select {
	case got := <-sink.calls:
		t.Fatalf("Served again with %v, want nothing more", got)
	default:
	}
}
