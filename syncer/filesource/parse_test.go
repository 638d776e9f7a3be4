package filesource

import (
	"errors"
	"strings"
	"testing"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"google.golang.org/protobuf/proto"
)

// example is the file of the documentation, with one more record.
const example = `defaults:
  ttl: 30
  algorithm: wrr
  downResponse: all
records:
  - fqdn: Hello.AVI.iberia.local
    ttl: 2
    algorithm: wrr
    downResponse: fallback
    fallback: [192.0.2.10]
    members:
      - {cluster: s1az1, site: site1, address: 127.0.0.11, weight: 6}
      - {cluster: s1az2, address: 127.0.0.12, weight: 4, priority: 10}
      - {cluster: s2, address: "2001:DB8::13", weight: 2, health: down}
      - {hostname: LB.example.net, weight: 1}
  - fqdn: a.avi.iberia.local.
    algorithm: random
    members:
      - address: 10.0.0.1
        health: up
        healthReason: "http 200"
      - address: 10.0.0.2
        weight: 0
`

func TestParseExample(t *testing.T) {
	got, err := Parse("members.yaml", []byte(example))
	if err != nil {
		t.Fatal(err)
	}
	want := []*gslbv1.Record{
		{
			Fqdn: "a.avi.iberia.local.", Ttl: proto.Uint32(30), Origin: "file members.yaml",
			Algorithm:    gslbv1.Algorithm_ALGORITHM_RANDOM,
			DownResponse: gslbv1.DownResponse_DOWN_RESPONSE_ALL,
			Members: []*gslbv1.Member{
				{Address: "10.0.0.1", Weight: 1, Health: gslbv1.Health_HEALTH_UP, HealthReason: "http 200"},
				{Address: "10.0.0.2", Weight: 0},
			},
		},
		{
			Fqdn: "hello.avi.iberia.local.", Ttl: proto.Uint32(2), Origin: "file members.yaml",
			Algorithm:    gslbv1.Algorithm_ALGORITHM_WRR,
			DownResponse: gslbv1.DownResponse_DOWN_RESPONSE_FALLBACK,
			Fallback:     []string{"192.0.2.10"},
			Members: []*gslbv1.Member{
				{Cluster: "s1az1", Site: "site1", Address: "127.0.0.11", Weight: 6},
				{Cluster: "s1az2", Address: "127.0.0.12", Weight: 4, Priority: 10},
				{Cluster: "s2", Address: "2001:db8::13", Weight: 2, Health: gslbv1.Health_HEALTH_DOWN},
				{Hostname: "lb.example.net.", Weight: 1},
			},
		},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d", len(got), len(want))
	}
	for i := range want {
		if !proto.Equal(got[i], want[i]) {
			t.Errorf("record %d:\n got %v\nwant %v", i, got[i], want[i])
		}
	}
}

func TestParseValid(t *testing.T) {
	tests := []struct {
		name, in string
		records  int
	}{
		{"empty table", "records: []\n", 0},
		{"empty table with defaults", "defaults: {ttl: 5}\nrecords: []\n", 0},
		{"null defaults", "defaults:\nrecords: []\n", 0},
		{"record without members", "records:\n  - fqdn: a.example.\n", 1},
		{"null optional fields", "records:\n  - fqdn: a.example.\n    ttl:\n    members: ~\n", 1},
		{"upper-case enum", "records:\n  - fqdn: a.example.\n    algorithm: WRR\n", 1},
		{"hexadecimal weight", "records:\n  - {fqdn: a.example., members: [{address: 10.0.0.1, weight: 0x10}]}\n", 1},
		{"numeric cluster", "records:\n  - {fqdn: a.example., members: [{address: 10.0.0.1, cluster: 2024}]}\n", 1},
		{"comments and document marker", "# the table\n---\nrecords: [] # none yet\n", 0},
		{"anchor without alias", "records:\n  - &a {fqdn: a.example.}\n", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse("members.yaml", []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.records {
				t.Errorf("got %d records, want %d", len(got), tt.records)
			}
			if got == nil {
				t.Error("got a nil slice; an empty table must be non-nil")
			}
		})
	}
}

func TestParseDefaultsApplyOnlyToUnsetFields(t *testing.T) {
	in := `defaults: {ttl: 30, algorithm: random, downResponse: empty}
records:
  - {fqdn: a.example., ttl: 0, algorithm: wrr, downResponse: servfail}
  - {fqdn: b.example., members: [{address: 10.0.0.1}]}
`
	got, err := Parse("m.yaml", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []*gslbv1.Record{
		{Fqdn: "a.example.", Origin: "file m.yaml", Ttl: proto.Uint32(0), Algorithm: gslbv1.Algorithm_ALGORITHM_WRR, DownResponse: gslbv1.DownResponse_DOWN_RESPONSE_SERVFAIL},
		{Fqdn: "b.example.", Origin: "file m.yaml", Ttl: proto.Uint32(30), Algorithm: gslbv1.Algorithm_ALGORITHM_RANDOM, DownResponse: gslbv1.DownResponse_DOWN_RESPONSE_EMPTY,
			Members: []*gslbv1.Member{{Address: "10.0.0.1", Weight: 1}}},
	}
	for i := range want {
		if !proto.Equal(got[i], want[i]) {
			t.Errorf("record %d:\n got %v\nwant %v", i, got[i], want[i])
		}
	}
}

func TestParseSortsByCanonicalName(t *testing.T) {
	in := "records:\n  - fqdn: C.example\n  - fqdn: a.example.\n  - fqdn: B.EXAMPLE.\n"
	got, err := Parse("m.yaml", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range got {
		names = append(names, r.Fqdn)
	}
	if s := strings.Join(names, " "); s != "a.example. b.example. c.example." {
		t.Errorf("order %s", s)
	}
}

// rec wraps member lines into a file with one record at line 2 whose
// members start at line 4.
func rec(members ...string) string {
	s := "records:\n  - fqdn: hello.avi.iberia.local\n    members:\n"
	for _, m := range members {
		s += "      - " + m + "\n"
	}
	return s
}

func TestParseErrors(t *testing.T) {
	const m1 = "{cluster: s1az1, address: 127.0.0.11, weight: 6}"
	tests := []struct {
		name, in, want string
	}{
		// The file as a whole.
		{"empty file", "", `members.yaml:1: empty file: want a mapping with "records" ("records: []" for an empty table)`},
		{"only comments", "# nothing\n\n", `members.yaml:1: empty file: want a mapping with "records" ("records: []" for an empty table)`},
		{"null document", "~\n", `members.yaml:1: empty file: want a mapping with "records" ("records: []" for an empty table)`},
		{"missing records", "defaults: {ttl: 5}\n", `members.yaml:1: missing "records" ("records: []" for an empty table)`},
		{"records without value", "defaults: {ttl: 5}\nrecords:\n", `members.yaml:2: "records" has no value ("records: []" for an empty table)`},
		{"records not a list", "records: {fqdn: a.example.}\n", `members.yaml:1: records must be a list, got a mapping`},
		{"root is a list", "- fqdn: a.example.\n", `members.yaml:1: want a mapping with "records", got a list`},
		{"root is a string", "hello\n", `members.yaml:1: want a mapping with "records", got "hello"`},
		{"unknown top-level key", "records: []\nrecord: []\n", `members.yaml:2: unknown key "record" (want defaults, records, sites, drained)`},
		{"duplicate top-level key", "records: []\nrecords: []\n", `members.yaml:2: duplicate key "records", first at line 1`},
		{"two documents", "records: []\n---\nrecords: []\n", `members.yaml:2: a second YAML document; the file must hold exactly one`},
		{"syntax error", "records:\n  - fqdn: a.example.\n   ttl: 5\n", `members.yaml:2: did not find expected '-' indicator`},
		{"sequence item in a mapping", "records: []\ndefaults: {}\n- c\n", `members.yaml:3: did not find expected key`},
		{"missing colon", "defaults: {}\nrecords\nfoo: 1\n", `members.yaml:2: could not find expected ':'`},
		{"unterminated string", "records: []\ndefaults:\n  ttl: \"abc\n", `members.yaml:3: found unexpected end of stream`},
		{"unclosed flow", "records: [\n", `members.yaml:2: did not find expected node content`},
		{"tab indentation", "records:\n\t- fqdn: a\n", `members.yaml:2: found character that cannot start any token`},
		{"invalid utf-8", "records: []\n# \xff\n", `members.yaml:2: invalid leading UTF-8 octet`},
		{"control character", "records: []\n\n# \x01\n", `members.yaml:3: control characters are not allowed`},
		{"alias", "defaults: &d {ttl: 5}\nrecords:\n  - *d\n", `members.yaml:3: aliases (*d) are not supported`},
		{"merge key", "records:\n  - {<<: {ttl: 5}, fqdn: a.example.}\n", `members.yaml:2: record "a.example.": unknown key "<<" (want fqdn, ttl, algorithm, downResponse, fallback, healthCheck, siteOrder, hashMask, members)`},

		// defaults.
		{"defaults not a mapping", "defaults: [1]\nrecords: []\n", `members.yaml:1: defaults must be a mapping, got a list`},
		{"unknown default", "defaults:\n  ttl: 5\n  weight: 3\nrecords: []\n", `members.yaml:3: defaults: unknown key "weight" (want ttl, algorithm, downResponse, healthCheck, siteOrder, hashMask)`},
		{"negative default ttl", "defaults: {ttl: -5}\nrecords: []\n", `members.yaml:1: defaults: ttl -5 must be between 0 and 2147483647`},
		{"unknown default algorithm", "defaults:\n  algorithm: rr\nrecords: []\n", `members.yaml:2: defaults: algorithm "rr" is not one of wrr, random, topology, geo, consistentHash`},
		{"unknown default downResponse", "defaults:\n  downResponse: nxdomain\nrecords: []\n", `members.yaml:2: defaults: downResponse "nxdomain" is not one of all, fallback, empty, servfail`},

		// Records.
		{"record not a mapping", "records:\n  - a.example.\n", `members.yaml:2: record 1: want a mapping with fqdn and members, got "a.example."`},
		{"missing fqdn", "records:\n  - fqdn: a.example.\n  - ttl: 5\n", `members.yaml:3: record 2: missing fqdn`},
		{"fqdn not a string", "records:\n  - fqdn: [a]\n", `members.yaml:2: record 1: fqdn must be a string, got a list`},
		{"invalid fqdn", "records:\n  - fqdn: a..example\n", `members.yaml:2: record "a..example": invalid domain name "a..example"`},
		{"duplicate fqdn", "records:\n  - fqdn: a.example.\n  - fqdn: b.example.\n  - fqdn: A.Example\n", `members.yaml:4: record "a.example.": duplicate fqdn, first defined at line 2`},
		{"unknown record key", "records:\n  - fqdn: a.example.\n    member: []\n", `members.yaml:3: record "a.example.": unknown key "member" (want fqdn, ttl, algorithm, downResponse, fallback, healthCheck, siteOrder, hashMask, members)`},
		{"duplicate record key", "records:\n  - fqdn: a.example.\n    ttl: 5\n    ttl: 6\n", `members.yaml:4: record "a.example.": duplicate key "ttl", first at line 3`},
		{"negative ttl", "records:\n  - fqdn: a.example.\n    ttl: -1\n", `members.yaml:3: record "a.example.": ttl -1 must be between 0 and 2147483647`},
		{"ttl too large", "records:\n  - fqdn: a.example.\n    ttl: 4294967296\n", `members.yaml:3: record "a.example.": ttl 4294967296 must be between 0 and 2147483647`},
		{"ttl beyond 64 bits", "records:\n  - fqdn: a.example.\n    ttl: 99999999999999999999\n", `members.yaml:3: record "a.example.": ttl 99999999999999999999 must be between 0 and 2147483647`},
		{"ttl not a number", "records:\n  - fqdn: a.example.\n    ttl: 30s\n", `members.yaml:3: record "a.example.": ttl "30s" is not a whole number`},
		{"quoted ttl", "records:\n  - fqdn: a.example.\n    ttl: \"30\"\n", `members.yaml:3: record "a.example.": ttl "30" is not a whole number`},
		{"fractional ttl", "records:\n  - fqdn: a.example.\n    ttl: 1.5\n", `members.yaml:3: record "a.example.": ttl 1.5 is not a whole number`},
		{"boolean ttl", "records:\n  - fqdn: a.example.\n    ttl: true\n", `members.yaml:3: record "a.example.": ttl true is not a whole number`},
		{"ttl a list", "records:\n  - fqdn: a.example.\n    ttl: [1]\n", `members.yaml:3: record "a.example.": ttl must be a whole number, got a list`},
		{"unknown algorithm", "records:\n  - fqdn: a.example.\n    algorithm: roundrobin\n", `members.yaml:3: record "a.example.": algorithm "roundrobin" is not one of wrr, random, topology, geo, consistentHash`},
		{"algorithm a mapping", "records:\n  - fqdn: a.example.\n    algorithm: {wrr: 1}\n", `members.yaml:3: record "a.example.": algorithm must be one of wrr, random, topology, geo, consistentHash, got a mapping`},
		{"unknown downResponse", "records:\n  - fqdn: a.example.\n    downResponse: 3\n", `members.yaml:3: record "a.example.": downResponse 3 is not one of all, fallback, empty, servfail`},
		{"fallback not a list", "records:\n  - fqdn: a.example.\n    fallback: 192.0.2.1\n", `members.yaml:3: record "a.example.": fallback must be a list, got "192.0.2.1"`},
		{"fallback item a list", "records:\n  - fqdn: a.example.\n    fallback:\n      - [192.0.2.1]\n", `members.yaml:4: record "a.example.": fallback item 1 must be a string, got a list`},
		{"members not a list", "records:\n  - fqdn: a.example.\n    members: {address: 10.0.0.1}\n", `members.yaml:3: record "a.example.": members must be a list, got a mapping`},
		// Checked by gslbv1.ValidateRecord, located at the record.
		{"invalid fallback", "records:\n  - fqdn: a.example.\n    fallback: [192.0.2.300]\n", `members.yaml:2: record "a.example.": fallback: invalid address "192.0.2.300"`},
		{"fallback response without fallback", "records:\n  - fqdn: a.example.\n    downResponse: fallback\n", `members.yaml:2: record "a.example.": down_response FALLBACK needs at least one fallback address`},

		// Members.
		{"member not a mapping", rec(m1, "127.0.0.12"), `members.yaml:5: record "hello.avi.iberia.local.": member 2: want a mapping with address or hostname, got "127.0.0.12"`},
		{"negative weight", rec(m1, "{cluster: s1az2, address: 127.0.0.12, weight: -1, priority: 10}"),
			`members.yaml:5: record "hello.avi.iberia.local.": member 2 (127.0.0.12 in s1az2): weight -1 must be between 0 and 1000`},
		{"weight too large", rec("{address: 127.0.0.12, weight: 1001}"),
			`members.yaml:4: record "hello.avi.iberia.local.": member 1 (127.0.0.12): weight 1001 must be between 0 and 1000`},
		{"weight not a number", rec("{hostname: lb.example.net, weight: heavy}"),
			`members.yaml:4: record "hello.avi.iberia.local.": member 1 (lb.example.net): weight "heavy" is not a whole number`},
		{"negative priority", rec("{address: 127.0.0.12, priority: -3}"),
			`members.yaml:4: record "hello.avi.iberia.local.": member 1 (127.0.0.12): priority -3 must be between 0 and 4294967295`},
		{"unknown health", rec("{address: 127.0.0.12, health: sick}"),
			`members.yaml:4: record "hello.avi.iberia.local.": member 1 (127.0.0.12): health "sick" is not one of up, down, unknown`},
		{"unknown member key", rec(m1, "{address: 127.0.0.12, cluster: s1az2, zone: z}"),
			`members.yaml:5: record "hello.avi.iberia.local.": member 2 (127.0.0.12 in s1az2): unknown key "zone" (want address, hostname, cluster, site, weight, priority, health, healthReason, probePort)`},
		{"duplicate member key", "records:\n  - fqdn: a.example.\n    members:\n      - address: 10.0.0.1\n        weight: 1\n        weight: 2\n",
			`members.yaml:6: record "a.example.": member 1 (10.0.0.1): duplicate key "weight", first at line 5`},
		{"address not a string", rec("{address: {ip: 1}}"),
			`members.yaml:4: record "hello.avi.iberia.local.": member 1: address must be a string, got a mapping`},
		{"key problem of an unnamed member", rec("{cluster: s1, weight: 1, wieght: 2}"),
			`members.yaml:4: record "hello.avi.iberia.local.": member 1 (in s1): unknown key "wieght" (want address, hostname, cluster, site, weight, priority, health, healthReason, probePort)`},
		// Checked by gslbv1.ValidateRecord, located at the record.
		{"invalid address", rec(m1, "{address: 127.0.0.300, cluster: s2}"),
			`members.yaml:2: record "hello.avi.iberia.local.": member 2 (127.0.0.300 in s2): invalid address "127.0.0.300"`},
		{"both address and hostname", rec("{address: 127.0.0.1, hostname: lb.example.net}"),
			`members.yaml:2: record "hello.avi.iberia.local.": member 1 (127.0.0.1): has both address and hostname; set exactly one`},
		{"neither address nor hostname", rec(m1, "{cluster: s2}"),
			`members.yaml:2: record "hello.avi.iberia.local.": member 2 ( in s2): has neither address nor hostname`},
		{"duplicate member", rec(m1, "{address: 127.0.0.11, cluster: s9}"),
			`members.yaml:2: record "hello.avi.iberia.local.": member 2 (127.0.0.11 in s9): duplicate of member 1`},
		{"hostname points at itself", rec("{hostname: HELLO.avi.iberia.local}"),
			`members.yaml:2: record "hello.avi.iberia.local.": member 1 (HELLO.avi.iberia.local): hostname points at the record itself`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse("members.yaml", []byte(tt.in))
			if err == nil {
				t.Fatalf("no error; got %d records", len(got))
			}
			if err.Error() != tt.want {
				t.Errorf("error\n got %s\nwant %s", err, tt.want)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Errorf("error is a %T, want a *ParseError", err)
			}
			if got != nil {
				t.Errorf("got %d records with the error", len(got))
			}
		})
	}
}

func TestReadFileMissing(t *testing.T) {
	if _, err := ReadFile(t.TempDir() + "/nope.yaml"); err == nil {
		t.Fatal("no error for a missing file")
	}
}

// FuzzParse checks that no input makes the parser panic, that whatever it
// accepts is valid, canonical and sorted, and that reading by batches gives
// what reading whole gives. The seeds run under plain go test.
func FuzzParse(f *testing.F) {
	f.Add([]byte(example))
	f.Add([]byte(routingExample))
	f.Add([]byte("records: []\n"))
	f.Add([]byte(""))
	f.Add([]byte("defaults: {ttl: -1}\nrecords:\n  - *x\n"))
	f.Add([]byte(rec("{address: 127.0.0.1, weight: 99999999999999999999}", "{hostname: a.b, weight: 0x1_0}")))
	f.Add([]byte("records: [{fqdn: a., members: [{address: \"::ffff:1.2.3.4\"}]}, {fqdn: A.}]\n---\n"))
	f.Add([]byte("records:\n  - fqdn: a.\n    members:\n      - {address: 10.0.0.1}\n# c\n  - {fqdn: b.}\ndrained: {sites: [x]}\n"))
	f.Add([]byte("records:\n- fqdn: \"a.\n- b.\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// Read by batches or whole, a file gives the same (stream.go).
		sameAsWhole(t, data)
		recs, err := Parse("f.yaml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.yaml:") {
				t.Fatalf("error without the file name: %v", err)
			}
			return
		}
		for i, r := range recs {
			if err := gslbv1.ValidateRecord(r); err != nil {
				t.Fatalf("accepted an invalid record: %v", err)
			}
			if c, _ := gslbv1.CanonicalName(r.Fqdn); c != r.Fqdn {
				t.Fatalf("fqdn %q is not canonical", r.Fqdn)
			}
			if i > 0 && recs[i-1].Fqdn >= r.Fqdn {
				t.Fatalf("records not sorted or not unique: %q then %q", recs[i-1].Fqdn, r.Fqdn)
			}
		}
	})
}

// ttl 0 is kept as 0 (served as 0); a ttl left out, with no default, is
// absent (the name server's default).
func TestParseTTLZeroIsNotAbsent(t *testing.T) {
	got, err := Parse("m.yaml", []byte("records:\n  - {fqdn: a.example., ttl: 0}\n  - {fqdn: b.example.}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Ttl == nil || *got[0].Ttl != 0 || got[1].Ttl != nil {
		t.Errorf("ttls %v and %v, want 0 and absent", got[0].Ttl, got[1].Ttl)
	}
}
