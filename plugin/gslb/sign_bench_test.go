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

// BenchmarkApplyFullSigned is BenchmarkApplyFull with the zone signed (one
// ECDSA P-256 key): every answer RRset (3 per record) and NSEC signed.
func BenchmarkApplyFullSigned(b *testing.B) {
	p, _ := writeTestKey(b, b.TempDir(), "csk", 257)
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			recs := bigTable(n)
			g, s := newSignedGSLB(b, testConfig(), p)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			b.ReportAllocs()
			for b.Loop() {
				g.feed.table.Store(nil) // from scratch: nothing to reuse
				s.cur.Store(nil)
				full(b, g, recs...)
			}
			b.StopTimer()
			runtime.GC()
			runtime.ReadMemStats(&after)
			runtime.KeepAlive(g)
			runtime.KeepAlive(recs)
			b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "table+sigs-heap-MiB")
		})
	}
}

// BenchmarkApplyDeltaSigned changes one record of a signed 100k-record
// table: its 3 answers, its NSEC and the SOA are signed again.
func BenchmarkApplyDeltaSigned(b *testing.B) {
	p, _ := writeTestKey(b, b.TempDir(), "csk", 257)
	g, _ := newSignedGSLB(b, testConfig(), p)
	full(b, g, bigTable(100_000)...)
	changed := make([][]*gslbv1.Record, 7)
	for i := range changed {
		changed[i] = []*gslbv1.Record{rec("app-5.avi.iberia.local.", mem("127.0.5.1", uint32(1+i)), mem("127.0.5.2", 3), mem("127.0.5.3", 1))}
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		v := g.feed.table.Load().Version()
		if _, err := g.feed.apply(&gslbv1.ApplyHeader{Kind: gslbv1.Kind_KIND_DELTA, BaseVersion: v}, changed[i%len(changed)], nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkServeDNSSigned is BenchmarkServeDNS asked with DO, unsigned and
// signed, on the 10k-record table: the signed ÷ unsigned cost of a query.
func BenchmarkServeDNSSigned(b *testing.B) {
	p, _ := writeTestKey(b, b.TempDir(), "csk", 257)
	for _, signed := range []bool{false, true} {
		var g *GSLB
		if signed {
			g, _ = newSignedGSLB(b, testConfig(), p)
		} else {
			g = newTestGSLB(b, testConfig(), nil)
		}
		full(b, g, append(scenarioTable(), bigTable(10_000)...)...)
		for _, q := range []struct {
			name  string
			qtype uint16
		}{
			{"app-77.avi.iberia.local.", dns.TypeA},
			{"hello.avi.iberia.local.", dns.TypeAAAA},
			{"nope.avi.iberia.local.", dns.TypeA},
		} {
			b.Run(fmt.Sprintf("signed=%v/%s/%s", signed, dns.TypeToString[q.qtype], q.name), func(b *testing.B) {
				m := doQuery(q.name, q.qtype)
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
}
