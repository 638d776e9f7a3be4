package filesource

import (
	"bytes"
	"runtime"
	"testing"
)

// members100k is a generated members file of 100,000 records (WriteMembers),
// about 15 MB.
func members100k(b *testing.B) []byte {
	b.Helper()
	var buf bytes.Buffer
	if err := WriteMembers(&buf, 100_000, "avi.iberia.local"); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkParse100k parses a members file of 100,000 records of three
// members each. Besides time and allocations it reports the live heap of
// the parsed table (MB-live: the heap after a GC while the records are
// held, less the heap before) and the file's size.
func BenchmarkParse100k(b *testing.B) {
	data := members100k(b)
	b.SetBytes(int64(len(data)))
	var live float64
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		before := heapAfterGC()
		recs, err := Parse("members.yaml", data)
		if err != nil {
			b.Fatal(err)
		}
		live = float64(heapAfterGC()-before) / 1e6
		if len(recs) != 100_000 {
			b.Fatalf("%d records", len(recs))
		}
		runtime.KeepAlive(recs)
	}
	b.ReportMetric(live, "MB-live")
}

// heapAfterGC returns the live heap right after a full collection.
func heapAfterGC() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
