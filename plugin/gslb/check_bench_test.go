package gslb

import (
	"fmt"
	"runtime"
	"testing"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"

	"google.golang.org/protobuf/proto"
)

// BenchmarkApplyFullChecks is a FULL apply of 100k decoded records (as a
// push delivers them: every member's check its own copy), without checks
// and with the syncer's checks (one per record: the Host header is the
// record's name). records-MiB is the live heap the pushed records hold
// once applied (equal checks shared); decoded-MiB what they held before.
func BenchmarkApplyFullChecks(b *testing.B) {
	for _, checked := range []bool{false, true} {
		b.Run(fmt.Sprintf("checks=%v", checked), func(b *testing.B) {
			wire := checkedWire(b, 100_000, checked)
			g := newTestGSLB(b, testConfig(), nil)
			var decoded, held float64
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				g.feed.table.Store(nil)
				base := liveHeap()
				recs := decodeRecords(b, wire)
				decoded = liveHeap() - base
				b.StartTimer()
				full(b, g, recs...)
				b.StopTimer()
				recs = nil
				held = liveHeap() - base
				b.StartTimer()
			}
			b.ReportMetric(decoded/(1<<20), "decoded-MiB")
			b.ReportMetric(held/(1<<20), "table-and-records-MiB")
			runtime.KeepAlive(g)
		})
	}
}

// checkedWire is bigTable(n) as one Snapshot on the wire, its members
// carrying an HTTP check (Host: the record's name) when checked.
func checkedWire(b *testing.B, n int, checked bool) []byte {
	recs := bigTable(n)
	if checked {
		for _, r := range recs {
			for _, m := range r.Members {
				m.Check = &gslbv1.HealthCheck{Type: gslbv1.CheckType_CHECK_TYPE_HTTP, Method: "GET", Path: "/", Host: r.Fqdn[:len(r.Fqdn)-1],
					ExpectStatus: "200-399", Port: 8080, IntervalMs: 2000, TimeoutMs: 1000, Rise: 2, Fall: 3}
			}
		}
	}
	wire, err := proto.Marshal(&gslbv1.Snapshot{Records: recs})
	if err != nil {
		b.Fatal(err)
	}
	return wire
}

func decodeRecords(b *testing.B, wire []byte) []*gslbv1.Record {
	var s gslbv1.Snapshot
	if err := proto.Unmarshal(wire, &s); err != nil {
		b.Fatal(err)
	}
	return s.Records
}

// liveHeap is the heap in use after a collection.
func liveHeap() float64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc)
}
