package gslb

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"

	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"
)

// BenchmarkLookupPick is the hot path without the DNS message: lower-case the
// name, find the zone and the record, pick a member. It must not allocate.
func BenchmarkLookupPick(b *testing.B) {
	g := newTestGSLB(b, testConfig(), nil)
	full(b, g, append(scenarioTable(), bigTable(10_000)...)...)
	t := g.feed.table.Load()
	qname := "Hello.avi.iberia.local."
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		var buf [maxNameLen]byte
		l, _ := lowerName(&buf, qname)
		if g.matchZone(l) < 0 {
			b.Fatal("no zone")
		}
		r, _ := t.lookup(l)
		set := &r.fam[famV4]
		c := set.cands[set.pick.pick(g.rng)]
		c.stat.answers.Add(1)
	}
}

func BenchmarkLookupPickRandom(b *testing.B) {
	g := newTestGSLB(b, testConfig(), nil)
	r := rec("hello.avi.iberia.local", mem("127.0.0.11", 6), mem("127.0.0.12", 4), mem("127.0.0.13", 2))
	r.Algorithm = gslbv1.Algorithm_ALGORITHM_RANDOM
	full(b, g, r)
	t := g.feed.table.Load()
	b.ReportAllocs()
	for b.Loop() {
		var buf [maxNameLen]byte
		l, _ := lowerName(&buf, "hello.avi.iberia.local.")
		rr, _ := t.lookup(l)
		set := &rr.fam[famV4]
		_ = set.cands[set.pick.pick(g.rng)]
	}
}

// BenchmarkServeDNS is one query through the handler, message included.
func BenchmarkServeDNS(b *testing.B) {
	for _, q := range []struct {
		name  string
		qtype uint16
	}{
		{"hello.avi.iberia.local.", dns.TypeA},
		{"hello.avi.iberia.local.", dns.TypeAAAA},
		{"nope.avi.iberia.local.", dns.TypeA},
	} {
		b.Run(dns.TypeToString[q.qtype]+"/"+q.name, func(b *testing.B) {
			g := newTestGSLB(b, testConfig(), nil)
			full(b, g, scenarioTable()...)
			m := new(dns.Msg)
			m.SetQuestion(q.name, q.qtype)
			w := &test.ResponseWriter{}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				rec := dnstest.NewRecorder(w)
				g.ServeDNS(ctx, rec, m)
			}
		})
	}
}

// BenchmarkApplyFull is a whole-table push: validation, compile and swap.
func BenchmarkApplyFull(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			g := newTestGSLB(b, testConfig(), nil)
			benchApplyFull(b, g, bigTable(n), "table-heap-MiB", func() {})
		})
	}
}

// benchApplyFull pushes recs whole to g from scratch (reset forgets what
// else would be reused) and reports the live heap the served table adds
// (the pushed records excluded) as metric.
func benchApplyFull(b *testing.B, g *GSLB, recs []*gslbv1.Record, metric string, reset func()) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ReportAllocs()
	for b.Loop() {
		g.feed.table.Store(nil) // from scratch: nothing to reuse
		reset()
		full(b, g, recs...)
	}
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(g)
	runtime.KeepAlive(recs)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), metric)
}

// BenchmarkApplyDelta changes one record of a 100k-record table.
func BenchmarkApplyDelta(b *testing.B) {
	g := newTestGSLB(b, testConfig(), nil)
	full(b, g, bigTable(100_000)...)
	benchApplyDelta(b, g)
}

// benchApplyDelta applies DELTAs of one record to g's table.
func benchApplyDelta(b *testing.B, g *GSLB) {
	// A new record each time: the table keeps the records it was given, so
	// changing one in place would make the next delta a no-op.
	changed := make([][]*gslbv1.Record, 7)
	for i := range changed {
		changed[i] = []*gslbv1.Record{rec("app-5.avi.iberia.local.", mem("127.0.5.1", uint32(1+i)), mem("127.0.5.2", 3), mem("127.0.5.3", 1))}
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		v := g.feed.table.Load().Version()
		t, err := g.feed.apply(&gslbv1.ApplyHeader{Kind: gslbv1.Kind_KIND_DELTA, BaseVersion: v}, changed[i%len(changed)], nil)
		if err != nil {
			b.Fatal(err)
		}
		if t.Version() == v {
			b.Fatal("the delta changed nothing")
		}
	}
}
