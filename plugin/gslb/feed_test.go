package gslb

import (
	"errors"
	"strings"
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"

	"github.com/miekg/dns"
)

func TestApplyRefusesInvalidAndKeepsServing(t *testing.T) {
	g := newTestGSLB(t, testConfig(), nil)
	good := full(t, g, scenarioTable()...)

	cases := []struct {
		name    string
		kind    gslbv1.Kind
		base    uint32
		upserts []*gslbv1.Record
		deletes []string
		want    string
		kindErr errorKind
	}{
		{"bad address", gslbv1.Kind_KIND_FULL, 0, []*gslbv1.Record{rec("hello.avi.iberia.local", mem("300.1.1.1", 1))},
			nil, `record "hello.avi.iberia.local.": member 1 (300.1.1.1): invalid address "300.1.1.1"`, errInvalid},
		{"weight too large", gslbv1.Kind_KIND_FULL, 0, []*gslbv1.Record{rec("hello.avi.iberia.local", mem("192.0.2.1", 1001))},
			nil, `record "hello.avi.iberia.local.": member 1 (192.0.2.1): weight 1001 is larger than 1000`, errInvalid},
		{"duplicate member", gslbv1.Kind_KIND_FULL, 0, []*gslbv1.Record{rec("hello.avi.iberia.local", mem("192.0.2.1", 1), mem("192.0.2.1", 2))},
			nil, `record "hello.avi.iberia.local.": member 2 (192.0.2.1): duplicate of member 1`, errInvalid},
		{"address and hostname", gslbv1.Kind_KIND_FULL, 0, []*gslbv1.Record{rec("hello.avi.iberia.local", &gslbv1.Member{Address: "192.0.2.1", Hostname: "x.example."})},
			nil, `member 1 (192.0.2.1): has both address and hostname`, errInvalid},
		{"outside the zone", gslbv1.Kind_KIND_FULL, 0, []*gslbv1.Record{rec("hello.example.org", mem("192.0.2.1", 1))},
			nil, `record "hello.example.org." is outside every zone of this server`, errInvalid},
		{"duplicate record", gslbv1.Kind_KIND_FULL, 0, []*gslbv1.Record{rec("a.avi.iberia.local", mem("192.0.2.1", 1)), rec("A.avi.iberia.local.", mem("192.0.2.1", 1))},
			nil, `record "a.avi.iberia.local." appears more than once`, errInvalid},
		{"fallback without address", gslbv1.Kind_KIND_FULL, 0, []*gslbv1.Record{{Fqdn: "a.avi.iberia.local", DownResponse: gslbv1.DownResponse_DOWN_RESPONSE_FALLBACK}},
			nil, `down_response FALLBACK needs at least one fallback address`, errInvalid},
		{"bad name", gslbv1.Kind_KIND_FULL, 0, []*gslbv1.Record{rec("a..avi.iberia.local", mem("192.0.2.1", 1))},
			nil, `invalid domain name`, errInvalid},
		{"no kind", gslbv1.Kind_KIND_UNSPECIFIED, 0, nil, nil, `missing or unknown apply kind`, errInvalid},
		{"delta on wrong base", gslbv1.Kind_KIND_DELTA, good.Version() - 1, []*gslbv1.Record{rec("a.avi.iberia.local", mem("192.0.2.1", 1))},
			nil, `is not the current version`, errConflict},
		{"full on wrong base", gslbv1.Kind_KIND_FULL, 7, nil, nil, `base version 7 is not the current version`, errConflict},
		{"deletes in a full", gslbv1.Kind_KIND_FULL, 0, nil, []string{"hello.avi.iberia.local"}, `carries no deletes`, errInvalid},
		{"upsert and delete", gslbv1.Kind_KIND_DELTA, good.Version(), []*gslbv1.Record{rec("a.avi.iberia.local", mem("192.0.2.1", 1))},
			[]string{"a.avi.iberia.local"}, `both upserted and deleted`, errInvalid},
		// One bad record among good ones refuses the whole delta.
		{"delta with one bad record", gslbv1.Kind_KIND_DELTA, good.Version(),
			[]*gslbv1.Record{rec("ok.avi.iberia.local", mem("192.0.2.1", 1)), rec("hello.avi.iberia.local", mem("192.0.2.1", 0), mem("::ffff:192.0.2.1", 1))},
			nil, `duplicate of member 1`, errInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := g.feed.apply(&gslbv1.ApplyHeader{Kind: tc.kind, BaseVersion: tc.base}, tc.upserts, tc.deletes)
			var ae *applyError
			if !errors.As(err, &ae) {
				t.Fatalf("apply: %v, want an applyError", err)
			}
			if !strings.Contains(ae.msg, tc.want) || ae.kind != tc.kindErr {
				t.Fatalf("error %q (kind %d), want one containing %q (kind %d)", ae.msg, ae.kind, tc.want, tc.kindErr)
			}
			if g.feed.table.Load() != good {
				t.Fatal("the table changed after a refused apply")
			}
		})
	}
	// Still serving the good table.
	m := new(dns.Msg)
	m.SetQuestion("hello.avi.iberia.local.", dns.TypeA)
	if resp, _ := serve(t, g, m); resp == nil || len(resp.Answer) != 1 {
		t.Fatalf("after refused pushes: %v", resp)
	}
}

func TestDeltaAndVersions(t *testing.T) {
	clk := &fixedClock{t: time.Unix(1_700_000_000, 0)}
	g := newTestGSLB(t, testConfig(), nil)
	g.feed.now = clk.now

	t1 := full(t, g, scenarioTable()...)
	if t1.Version() != 1_700_000_000 {
		t.Fatalf("first version %d, want the clock's seconds", t1.Version())
	}
	n := t1.Len()

	// Same second: the version still rises.
	t2, err := g.feed.apply(&gslbv1.ApplyHeader{Kind: gslbv1.Kind_KIND_DELTA, BaseVersion: t1.Version()},
		[]*gslbv1.Record{rec("new.x.avi.iberia.local", mem("192.0.2.9", 1))}, []string{"a.b.deep.avi.iberia.local"})
	if err != nil {
		t.Fatal(err)
	}
	if t2.Version() != t1.Version()+1 || t2.Len() != n {
		t.Fatalf("delta: version %d records %d, want %d and %d", t2.Version(), t2.Len(), t1.Version()+1, n)
	}
	// The old table is untouched (readers may still hold it).
	if r, _ := t1.lookup([]byte("new.x.avi.iberia.local.")); r != nil {
		t.Fatal("the delta changed the previous table")
	}
	if r, _ := t1.lookup([]byte("a.b.deep.avi.iberia.local.")); r == nil {
		t.Fatal("the delta removed a record from the previous table")
	}
	// Empty non-terminals follow the records.
	if _, ent := t2.lookup([]byte("b.deep.avi.iberia.local.")); ent {
		t.Fatal("b.deep is still an empty non-terminal after its only record went")
	}
	if _, ent := t2.lookup([]byte("x.avi.iberia.local.")); !ent {
		t.Fatal("x.avi.iberia.local should be an empty non-terminal")
	}
	// Unchanged records are shared, not rebuilt: their WRR position carries on.
	if t1.get("hello.avi.iberia.local.") != t2.get("hello.avi.iberia.local.") {
		t.Fatal("an untouched record was rebuilt")
	}

	clk.t = clk.t.Add(time.Hour)
	t3 := full(t, g, scenarioTable()...)
	if t3.Version() != 1_700_003_600 {
		t.Fatalf("version %d, want the clock's seconds", t3.Version())
	}
	if t3.get("hello.avi.iberia.local.") != t1.get("hello.avi.iberia.local.") {
		t.Fatal("a FULL apply with an identical record rebuilt it")
	}
}

func TestMemberCountersSurviveWeightChange(t *testing.T) {
	g := newTestGSLB(t, testConfig(), nil)
	full(t, g, scenarioTable()...)
	m := new(dns.Msg)
	m.SetQuestion("hello.avi.iberia.local.", dns.TypeA)
	for range 12 {
		serve(t, g, m)
	}
	r := rec("hello.avi.iberia.local", mem("127.0.0.11", 6), mem("127.0.0.12", 3), mem("127.0.0.13", 1))
	v := g.feed.table.Load().Version()
	t2, err := g.feed.apply(&gslbv1.ApplyHeader{Kind: gslbv1.Kind_KIND_DELTA, BaseVersion: v}, []*gslbv1.Record{r}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]uint64{}
	for _, s := range t2.get("hello.avi.iberia.local.").members {
		got[s.key] = s.answers.Load()
	}
	if got["127.0.0.11"] != 6 || got["127.0.0.12"] != 4 || got["127.0.0.13"] != 2 {
		t.Fatalf("counters after the weight change: %v, want 6/4/2 carried over", got)
	}
}
