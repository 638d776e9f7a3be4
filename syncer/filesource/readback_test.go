package filesource

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"google.golang.org/protobuf/proto"
)

// A large file's records are read back from the file, with the result and
// the errors of ParseChecked; a file that no longer holds what was read is
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
			want, wantErr := ParseChecked(path, tt.data)
			if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
				t.Fatalf("error %v, want %v", gotErr, wantErr)
			}
			if len(got) != len(want) {
				t.Fatalf("%d records, want %d", len(got), len(want))
			}
			for i := range want {
				if !proto.Equal(got[i].Record, want[i].Record) || !reflect.DeepEqual(got[i].Checks, want[i].Checks) {
					t.Fatalf("record %d: %v, want %v", i, got[i].Record, want[i].Record)
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
