package gslb

import (
	"context"
	"fmt"
	"testing"

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
			g, s := newSignedGSLB(b, testConfig(), p)
			benchApplyFull(b, g, bigTable(n), "table+sigs-heap-MiB", func() { s.cur.Store(nil) })
		})
	}
}

// BenchmarkApplyDeltaSigned changes one record of a signed 100k-record
// table: its 3 answers, its NSEC and the SOA are signed again.
func BenchmarkApplyDeltaSigned(b *testing.B) {
	p, _ := writeTestKey(b, b.TempDir(), "csk", 257)
	g, _ := newSignedGSLB(b, testConfig(), p)
	full(b, g, bigTable(100_000)...)
	benchApplyDelta(b, g)
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
