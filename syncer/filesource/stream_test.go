package filesource

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
)

// sameAsWhole checks that reading data by batches (stream.go) gives exactly
// what reading it whole gives, records or error, and reports whether the
// batches were taken at all.
func sameAsWhole(t *testing.T, data []byte) (split bool) {
	t.Helper()
	got, gotErr := newParser("m.yaml").streamed(data)
	if errors.Is(gotErr, errWhole) {
		return false
	}
	want, wantErr := newParser("m.yaml").whole(data)
	if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
		t.Fatalf("by batches: error %v\nwhole: error %v", gotErr, wantErr)
	}
	if len(got) != len(want) {
		t.Fatalf("by batches: %d records, whole: %d", len(got), len(want))
	}
	for i := range want {
		if !proto.Equal(got[i], want[i]) {
			t.Fatalf("record %d by batches:\n%v\nwhole:\n%v", i, got[i], want[i])
		}
	}
	return true
}

// generated returns a file of n records (WriteMembers), edited by the
// replacements old, new, ... applied once each.
func generated(t *testing.T, n int, edits ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteMembers(&buf, n, "example."); err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	for i := 0; i+1 < len(edits); i += 2 {
		if !strings.Contains(s, edits[i]) {
			t.Fatalf("%q is not in the generated file", edits[i])
		}
		s = strings.Replace(s, edits[i], edits[i+1], 1)
	}
	return []byte(s)
}

// The file is read by batches whenever its records list is in block style,
// with the same records and the same errors (file, line, message) as when it
// is read whole; anything the line scan cannot follow is read whole.
func TestStreamedSameAsWhole(t *testing.T) {
	tail := "drained: {clusters: [s2]}\n"
	tests := []struct {
		name  string
		in    []byte
		split bool
	}{
		{"documentation example", []byte(example), true},
		{"routing example", []byte(routingExample), true},
		{"health checks", []byte(checkedExample), true},
		{"drains", []byte(drainFile), true},
		{"3,000 records, several batches", generated(t, 3000), true},
		{"keys after the records", append(generated(t, 3000), tail...), true},
		{"records at column 0", []byte("records:\n- fqdn: a.example.\n- {fqdn: b.example.}\n# end\n"), true},
		{"comments and blank lines in the list", []byte("records: # all\n# first\n\n  - fqdn: a.example.\n# between\n\n  - fqdn: b.example.\n  # last\n"), true},
		{"CR LF line ends", []byte("defaults: {ttl: 5}\r\nrecords:\r\n  - fqdn: a.example.\r\n    ttl: 3\r\n  - fqdn: b.example.\r\n"), true},
		{"block scalar in a record", []byte("records:\n  - fqdn: a.example.\n    members:\n      - address: 10.0.0.1\n        healthReason: |\n          two\n          lines\n"), true},
		{"anchor used within a record", []byte("records:\n  - fqdn: a.example.\n    members: &m [{address: 10.0.0.1}]\n    fallback: *m\n"), true},

		// Errors found by batches, at the line the whole file gives.
		{"bad weight in a later batch", generated(t, 3000, "address: 10.2.11.174, weight: 4", "address: 10.2.11.174, weight: 4000"), true},
		{"duplicate fqdn across batches", generated(t, 3000, "fqdn: n2990.example.", "fqdn: n1.example."), true},
		{"unknown key after the records", append(generated(t, 3000), "sitez: {}\n"...), true},
		{"record error, then a syntax error", generated(t, 3000, "weight: 6}", "weight: -6}", "fqdn: n2999.example.", "fqdn: [n2999.example."), false},
		{"header error, then a syntax error", append([]byte("defaults: {ttl: x}\n"), generated(t, 3000, "fqdn: n2999.example.", "fqdn: \"n2999.example.")...), false},
		{"duplicate records key", []byte("records:\n  - fqdn: a.example.\nrecords:\n  - fqdn: b.example.\n"), true},
		{"too many documents", []byte("records:\n  - fqdn: a.example.\n---\nrecords: []\n"), false},
		{"syntax error in a record", []byte("records:\n  - fqdn: a.example.\n   ttl: 5\n"), false},
		{"invalid UTF-8 in a comment before the first record", []byte("records:\n# \xff\n  - fqdn: a.example.\n"), false},

		// Read whole.
		{"flow list", []byte("records: [{fqdn: a.example.}]\n"), false},
		{"no records", []byte("records:\ndefaults: {}\n"), false},
		{"quoted scalar over an item line", []byte("records:\n  - fqdn: \"a\n  - b\"\n"), false},
		{"flow mapping over an item line", []byte("records:\n  - {fqdn: a.example.,\n  - ttl: 5}\n"), false},
		{"quoted string holding the records key", []byte("defaults: \"x\nrecords:\n  - fqdn: a.example.\n\"\nrecords: []\n"), false},
		{"alias of an anchor outside the list", []byte("defaults: &d {ttl: 5}\nrecords:\n  - *d\n"), false},
		{"anchor of another record in the batch", []byte("records:\n  - &a {fqdn: a.example.}\n  - *a\n"), true},
		{"line between column 0 and the items", []byte("records:\n    - fqdn: a.example.\n  - fqdn: b.example.\n"), false},
		{"tab in the indentation", []byte("records:\n  - fqdn: a.example.\n\t  ttl: 5\n"), false},
		{"lone CR", []byte("records:\r  - fqdn: a.example.\n"), false},
		{"NEL line break", []byte("records:\n  - fqdn: a.example.\n    healthReason: a\u0085b\n"), false},
		{"quoted records key", []byte("\"records\":\n  - fqdn: a.example.\n"), false},
		{"very long line", []byte("records:\n  - fqdn: a.example.\n    healthReason: " + strings.Repeat("x", maxSplitLine) + "\n"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if split := sameAsWhole(t, tt.in); split != tt.split {
				t.Errorf("read by batches: %v, want %v", split, tt.split)
			}
		})
	}
}

// An error in a later batch names the line of the file.
func TestStreamedErrorLine(t *testing.T) {
	data := generated(t, 3000, "address: 10.2.11.174, weight: 4", "address: 10.2.11.174, weight: 4000")
	line := 1 + bytes.Count(data[:bytes.Index(data, []byte("weight: 4000"))], []byte("\n"))
	_, err := Parse("members.yaml", data)
	want := fmt.Sprintf(`members.yaml:%d: record "n2990.example.": member 2 (10.2.11.174 in s1az2): weight 4000 must be between 0 and 1000`, line)
	if err == nil || err.Error() != want {
		t.Fatalf("error %v\nwant %s", err, want)
	}
	if line < 20000 {
		t.Fatalf("line %d: the edit should be far into the file", line)
	}
}
