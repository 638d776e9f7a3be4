package gslb

import (
	"errors"
	"fmt"
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
		{"hostname member at the apex", gslbv1.Kind_KIND_FULL, 0, []*gslbv1.Record{rec("AVI.iberia.local", mem("192.0.2.1", 1), host("lb.example.org", 1))},
			nil, `record "avi.iberia.local." is the apex of its zone: hostname member "lb.example.org." would answer a CNAME beside the zone's SOA and NS`, errInvalid},
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
		// CNAME loops and chains longer than the handler follows, in a FULL
		// or made by a DELTA with the records already served.
		{"CNAME loop", gslbv1.Kind_KIND_FULL, 0, []*gslbv1.Record{
			rec("loopa.avi.iberia.local", host("loopb.avi.iberia.local", 1)), rec("loopb.avi.iberia.local", host("loopa.avi.iberia.local", 1))},
			nil, `CNAME loop: loopa.avi.iberia.local. → loopb.avi.iberia.local. → loopa.avi.iberia.local.`, errInvalid},
		{"CNAME loop by a delta", gslbv1.Kind_KIND_DELTA, good.Version(), []*gslbv1.Record{
			rec("test.avi.iberia.local", mem("192.0.2.20", 1), host("alias.avi.iberia.local", 1))},
			nil, `CNAME loop: alias.avi.iberia.local. → test.avi.iberia.local. → alias.avi.iberia.local.`, errInvalid},
		{"CNAME chain of 41 hops", gslbv1.Kind_KIND_FULL, 0, chain(41, true),
			nil, `CNAME chain of more than 8 in-zone hops, the most an answer follows: c00.avi.iberia.local. → c01.avi.iberia.local.`, errInvalid},
		{"CNAME chain of 9 hops to an address", gslbv1.Kind_KIND_FULL, 0, chain(9, true),
			nil, `CNAME chain of more than 8 in-zone hops, the most an answer follows: c00.avi.iberia.local. → `, errInvalid},
		{"CNAME chain made longer by a delta", gslbv1.Kind_KIND_DELTA, good.Version(), append(chain(8, false),
			rec("test.avi.iberia.local", host("c00.avi.iberia.local", 1))),
			nil, `CNAME chain of more than 8 in-zone hops, the most an answer follows: alias.avi.iberia.local. → test.avi.iberia.local. → c00.avi.iberia.local. → c01.avi.iberia.local.`, errInvalid},
		{"delete outside the zone", gslbv1.Kind_KIND_DELTA, good.Version(), nil, []string{"hello.example.org"},
			`delete "hello.example.org." is outside every zone of this server`, errInvalid},
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

// chain returns records c00 → c01 → … of n hops; with address, the last
// one (c<n>) is an address record, else it is left out of the table.
func chain(n int, address bool) []*gslbv1.Record {
	var recs []*gslbv1.Record
	name := func(i int) string { return fmt.Sprintf("c%02d.avi.iberia.local", i) }
	for i := range n {
		recs = append(recs, rec(name(i), host(name(i+1), 1)))
	}
	if address {
		recs = append(recs, rec(name(n), mem("192.0.2.9", 1)))
	}
	return recs
}

// The longest chain the handler follows is accepted and answered whole.
func TestApplyAcceptsLongestChain(t *testing.T) {
	g := newTestGSLB(t, testConfig(), nil)
	full(t, g, chain(gslbv1.MaxChase, true)...)
	m := new(dns.Msg)
	m.SetQuestion("c00.avi.iberia.local.", dns.TypeA)
	resp, _ := serve(t, g, m)
	if n := len(resp.Answer); n != gslbv1.MaxChase+1 || resp.Answer[n-1].Header().Rrtype != dns.TypeA {
		t.Fatalf("answer %v, want %d CNAMEs and the A", resp.Answer, gslbv1.MaxChase)
	}
}

// A DELTA that changes nothing keeps the version (the SOA serial): an empty
// DELTA, a delete of a name the table does not hold, an upsert of a record
// as it is. A DELTA that changes something bumps it.
func TestNoOpDeltaKeepsVersion(t *testing.T) {
	g := newTestGSLB(t, testConfig(), nil)
	v := full(t, g, scenarioTable()...).Version()
	delta := func(upserts []*gslbv1.Record, deletes ...string) uint32 {
		t.Helper()
		tb, err := g.feed.apply(&gslbv1.ApplyHeader{Kind: gslbv1.Kind_KIND_DELTA, BaseVersion: g.feed.table.Load().Version()}, upserts, deletes)
		if err != nil {
			t.Fatalf("delta: %v", err)
		}
		return tb.Version()
	}
	for _, tc := range []struct {
		name    string
		upserts []*gslbv1.Record
		deletes []string
	}{
		{"empty", nil, nil},
		{"delete of an unknown name", nil, []string{"nope.avi.iberia.local"}},
		{"upsert of a record as it is", []*gslbv1.Record{rec("TEST.avi.iberia.local", mem("192.0.2.20", 1))}, nil},
	} {
		if got := delta(tc.upserts, tc.deletes...); got != v {
			t.Errorf("%s: version %d, want %d kept", tc.name, got, v)
		}
	}
	if got := delta([]*gslbv1.Record{rec("test.avi.iberia.local", mem("192.0.2.21", 1))}); got == v {
		t.Errorf("a delta that changes a record kept version %d", v)
	}
}
