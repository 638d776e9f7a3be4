package push

import (
	"fmt"
	"strings"
	"testing"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"google.golang.org/protobuf/proto"
)

// bigRecord returns a record of roughly size bytes.
func bigRecord(i, size int) *gslbv1.Record {
	return &gslbv1.Record{
		Fqdn:    fmt.Sprintf("r%d.example.", i),
		Members: []*gslbv1.Member{{Address: "10.0.0.1", Weight: 1, HealthReason: strings.Repeat("x", size)}},
	}
}

func TestChunks(t *testing.T) {
	full := &gslbv1.ApplyHeader{Kind: gslbv1.Kind_KIND_FULL}
	many := func(n, size int) []*gslbv1.Record {
		out := make([]*gslbv1.Record, n)
		for i := range out {
			out[i] = bigRecord(i, size)
		}
		return out
	}
	names := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("d%d.example.", i)
		}
		return out
	}
	tests := []struct {
		name       string
		upserts    []*gslbv1.Record
		deletes    []string
		maxBytes   int
		maxRecords int
		wantChunks int
	}{
		{"nothing: the header alone", nil, nil, 1 << 20, 5000, 1},
		{"under both limits", many(10, 100), names(10), 1 << 20, 5000, 1},
		{"by count", many(12, 10), nil, 1 << 20, 5, 3},
		{"by count, deletes too", many(3, 10), names(7), 1 << 20, 5, 2},
		{"by size", many(10, 1000), nil, 3000, 5000, 5},
		{"a record over the size goes alone", many(3, 5000), nil, 3000, 5000, 3},
		{"deletes by size", nil, names(1000), 1000, 5000, 16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := chunks(full, tt.upserts, tt.deletes, tt.maxBytes, tt.maxRecords)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.wantChunks {
				t.Errorf("%d chunks, want %d", len(got), tt.wantChunks)
			}
			var ups, dels int
			for i, c := range got {
				if (c.GetHeader() != nil) != (i == 0) {
					t.Errorf("chunk %d: header %v; want it on the first chunk only", i, c.GetHeader())
				}
				n := len(c.GetUpserts()) + len(c.GetDeletes())
				if n > tt.maxRecords {
					t.Errorf("chunk %d holds %d records, more than %d", i, n, tt.maxRecords)
				}
				if size := proto.Size(c); size > tt.maxBytes && n > 1 {
					t.Errorf("chunk %d takes %d bytes, more than %d, with %d records", i, size, tt.maxBytes, n)
				}
				ups += len(c.GetUpserts())
				dels += len(c.GetDeletes())
			}
			if ups != len(tt.upserts) || dels != len(tt.deletes) {
				t.Errorf("chunks hold %d upserts and %d deletes, want %d and %d", ups, dels, len(tt.upserts), len(tt.deletes))
			}
		})
	}
}

func TestChunksRefusesARecordLargerThanAMessage(t *testing.T) {
	_, err := chunks(&gslbv1.ApplyHeader{}, []*gslbv1.Record{bigRecord(7, maxMessage)}, nil, 1<<20, 5000)
	if err == nil || !strings.Contains(err.Error(), `record "r7.example."`) {
		t.Fatalf("error %v, want one naming the record", err)
	}
}
