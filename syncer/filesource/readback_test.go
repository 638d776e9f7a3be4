package filesource

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gslbdns/gslb/syncer/internal/clock"
	"github.com/gslbdns/gslb/syncer/source"
	"google.golang.org/protobuf/proto"
)

// A large file's records are read back from the file, with the result and
// the errors of Parse; a file that no longer holds what was read is
// errChanging, for the Source to read it again.
func TestParseFileReadsBack(t *testing.T) {
	big := generated(t, 2000) // 574 KB: read back
	if len(big) < gcEvery {
		t.Fatalf("%d bytes: too small to be read back", len(big))
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"records", big},
		{"a record's error", generated(t, 2000, "address: 10.2.7.3, weight: 4", "address: 10.2.7.3, weight: 4000")},
		{"a syntax error (read whole)", generated(t, 2000, "fqdn: n1999.example.", "fqdn: [n1999.example.")},
		{"a small file (not read back)", []byte(example)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "members.yaml")
			write(t, path, string(tt.data))
			got, gotErr := parseFile(path, tt.data, sha256.Sum256(tt.data))
			want, wantErr := Parse(path, tt.data)
			if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
				t.Fatalf("error %v, want %v", gotErr, wantErr)
			}
			if len(got) != len(want) {
				t.Fatalf("%d records, want %d", len(got), len(want))
			}
			for i := range want {
				if !proto.Equal(got[i], want[i]) {
					t.Fatalf("record %d: %v, want %v", i, got[i], want[i])
				}
			}
		})
	}

	for _, tt := range []struct {
		name   string
		change func(path string) error
	}{
		{"rewritten", func(path string) error {
			return os.WriteFile(path, generated(t, 2000, "weight: 6}", "weight: 7}"), 0o644)
		}},
		{"truncated", func(path string) error { return os.Truncate(path, int64(len(big)/2)) }},
		{"removed", os.Remove},
	} {
		t.Run("file "+tt.name+" since read", func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "members.yaml")
			write(t, path, string(big))
			if err := tt.change(path); err != nil {
				t.Fatal(err)
			}
			if recs, err := parseFile(path, big, sha256.Sum256(big)); !errors.Is(err, errChanging) {
				t.Fatalf("got %d records, error %v; want errChanging", len(recs), err)
			}
		})
	}
}

// A file large enough to be read back is loaded, then followed, by Run
// like any other.
func TestRunLargeFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "members.yaml")
	v1 := generated(t, 2000)
	write(t, path, string(v1))
	clk := clock.NewFake(time.Unix(0, 0))
	s := New(path, Options{Clock: clk})
	r := startWatchWith(t, clk, func(ctx context.Context, r *reports) error {
		return s.Run(ctx, func(c source.Change) { r.onTimed(c.Records, c.Since) }, r.onError)
	})
	wantRecords(t, r, path, v1)
	<-r.times
	waitIdle(t, clk)

	v2 := generated(t, 2000, "address: 10.3.7.3, weight: 2", "address: 10.3.7.3, weight: 9")
	replace(t, path, string(v2))
	wantRecords(t, r, path, v2)
}

// wantRecords waits for the next report and checks that it is the file data.
func wantRecords(t *testing.T, r *reports, path string, data []byte) {
	t.Helper()
	got, err := r.next(t)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Parse(path, data)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d", len(got), len(want))
	}
	for i := range want {
		if !proto.Equal(got[i], want[i]) {
			t.Fatalf("record %d: %v, want %v", i, got[i], want[i])
		}
	}
}
