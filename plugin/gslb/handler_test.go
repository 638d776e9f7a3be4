package gslb

import (
	"testing"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"

	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"
	"google.golang.org/protobuf/proto"
)

// scenarioTable is the table most handler tests serve.
func scenarioTable() []*gslbv1.Record {
	hello := rec("hello.avi.iberia.local", mem("127.0.0.11", 6), mem("127.0.0.12", 4), mem("127.0.0.13", 2))
	hello.Ttl = proto.Uint32(2)
	return []*gslbv1.Record{
		hello,
		rec("test.avi.iberia.local", mem("192.0.2.20", 1)),
		rec("dual.avi.iberia.local", mem("192.0.2.1", 1), mem("2001:db8::1", 1)),
		rec("v6.avi.iberia.local", mem("2001:db8::6", 1)),
		rec("alias.avi.iberia.local", host("test.avi.iberia.local", 1)),
		rec("ext.avi.iberia.local", host("lb.example.net", 1)),
		rec("a.b.deep.avi.iberia.local", mem("192.0.2.30", 1)),
		{Fqdn: "downall.avi.iberia.local", DownResponse: gslbv1.DownResponse_DOWN_RESPONSE_ALL,
			Members: []*gslbv1.Member{down(mem("192.0.2.41", 1)), down(mem("192.0.2.42", 3))}},
		{Fqdn: "downfb.avi.iberia.local", DownResponse: gslbv1.DownResponse_DOWN_RESPONSE_FALLBACK, Fallback: []string{"192.0.2.99"},
			Members: []*gslbv1.Member{down(mem("192.0.2.43", 1))}},
		{Fqdn: "downempty.avi.iberia.local", DownResponse: gslbv1.DownResponse_DOWN_RESPONSE_EMPTY,
			Members: []*gslbv1.Member{down(mem("192.0.2.44", 1))}},
		{Fqdn: "downsf.avi.iberia.local", DownResponse: gslbv1.DownResponse_DOWN_RESPONSE_SERVFAIL,
			Members: []*gslbv1.Member{down(mem("192.0.2.45", 1))}},
		// The preferred level (priority 10) is down: priority 5 serves.
		rec("prio.avi.iberia.local", prio(down(mem("192.0.2.51", 1)), 10), prio(mem("192.0.2.52", 1), 5), prio(mem("192.0.2.53", 1), 1)),
		// One member up and one down at the same level: only the healthy one.
		rec("half.avi.iberia.local", down(mem("192.0.2.61", 100)), mem("192.0.2.62", 1)),
		// Weight 0 drains a member.
		rec("drain.avi.iberia.local", mem("192.0.2.71", 0), mem("192.0.2.72", 1)),
	}
}

func TestServeDNS(t *testing.T) {
	g := newTestGSLB(t, testConfig(), nil)
	v := full(t, g, scenarioTable()...).Version()
	soa := soaLine(v, 30)
	nxSOA := []dns.RR{soa}

	cases := []test.Case{
		{Qname: "hello.avi.iberia.local.", Qtype: dns.TypeA, Answer: []dns.RR{test.A("hello.avi.iberia.local. 2 IN A 127.0.0.11")}},
		// Case is preserved in the answer (0x20-randomising resolvers compare it).
		{Qname: "HeLLo.AVI.iberia.local.", Qtype: dns.TypeA, Answer: []dns.RR{test.A("HeLLo.AVI.iberia.local. 2 IN A 127.0.0.12")}},
		// A known name without a record of the type: NODATA with the SOA, at once.
		{Qname: "hello.avi.iberia.local.", Qtype: dns.TypeAAAA, Ns: nxSOA},
		{Qname: "hello.avi.iberia.local.", Qtype: dns.TypeMX, Ns: nxSOA},
		{Qname: "hello.avi.iberia.local.", Qtype: dns.TypeTXT, Ns: nxSOA},
		{Qname: "hello.avi.iberia.local.", Qtype: dns.TypeCNAME, Ns: nxSOA},
		{Qname: "hello.avi.iberia.local.", Qtype: dns.TypeANY, Answer: []dns.RR{test.HINFO(`hello.avi.iberia.local. 2 IN HINFO "RFC8482" ""`)}},
		{Qname: "test.avi.iberia.local.", Qtype: dns.TypeA, Answer: []dns.RR{test.A("test.avi.iberia.local. 30 IN A 192.0.2.20")}},
		{Qname: "dual.avi.iberia.local.", Qtype: dns.TypeA, Answer: []dns.RR{test.A("dual.avi.iberia.local. 30 IN A 192.0.2.1")}},
		{Qname: "dual.avi.iberia.local.", Qtype: dns.TypeAAAA, Answer: []dns.RR{test.AAAA("dual.avi.iberia.local. 30 IN AAAA 2001:db8::1")}},
		{Qname: "v6.avi.iberia.local.", Qtype: dns.TypeAAAA, Answer: []dns.RR{test.AAAA("v6.avi.iberia.local. 30 IN AAAA 2001:db8::6")}},
		{Qname: "v6.avi.iberia.local.", Qtype: dns.TypeA, Ns: nxSOA},
		// A hostname member is a CNAME; an in-zone target is followed.
		{Qname: "alias.avi.iberia.local.", Qtype: dns.TypeA, Answer: []dns.RR{
			test.CNAME("alias.avi.iberia.local. 30 IN CNAME test.avi.iberia.local."),
			test.A("test.avi.iberia.local. 30 IN A 192.0.2.20"),
		}},
		{Qname: "ext.avi.iberia.local.", Qtype: dns.TypeAAAA, Answer: []dns.RR{test.CNAME("ext.avi.iberia.local. 30 IN CNAME lb.example.net.")}},
		{Qname: "ext.avi.iberia.local.", Qtype: dns.TypeCNAME, Answer: []dns.RR{test.CNAME("ext.avi.iberia.local. 30 IN CNAME lb.example.net.")}},
		{Qname: "ext.avi.iberia.local.", Qtype: dns.TypeTXT, Answer: []dns.RR{test.CNAME("ext.avi.iberia.local. 30 IN CNAME lb.example.net.")}},
		// Unknown names: NXDOMAIN with the SOA. An empty non-terminal: NODATA.
		{Qname: "nope.avi.iberia.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: nxSOA},
		{Qname: "x.hello.avi.iberia.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: nxSOA},
		{Qname: "b.deep.avi.iberia.local.", Qtype: dns.TypeA, Ns: nxSOA},
		{Qname: "deep.avi.iberia.local.", Qtype: dns.TypeA, Ns: nxSOA},
		// The apex: SOA, NS with glue, NODATA for the rest.
		{Qname: "avi.iberia.local.", Qtype: dns.TypeSOA, Answer: []dns.RR{soa}},
		{Qname: "AVI.iberia.local.", Qtype: dns.TypeSOA, Answer: []dns.RR{soaLineOwner("AVI.iberia.local.", v)}},
		{Qname: "avi.iberia.local.", Qtype: dns.TypeNS,
			Answer: []dns.RR{test.NS("avi.iberia.local. 30 IN NS g-dns.iberia.local.")},
			Extra:  []dns.RR{test.A("g-dns.iberia.local. 30 IN A 192.0.2.53")}},
		{Qname: "avi.iberia.local.", Qtype: dns.TypeA, Ns: nxSOA},
		{Qname: "avi.iberia.local.", Qtype: dns.TypeANY, Answer: []dns.RR{test.HINFO(`avi.iberia.local. 30 IN HINFO "RFC8482" ""`)}},
		// Health, priority and down responses.
		{Qname: "downall.avi.iberia.local.", Qtype: dns.TypeA, Answer: []dns.RR{
			test.A("downall.avi.iberia.local. 30 IN A 192.0.2.41"), test.A("downall.avi.iberia.local. 30 IN A 192.0.2.42")}},
		{Qname: "downfb.avi.iberia.local.", Qtype: dns.TypeA, Answer: []dns.RR{test.A("downfb.avi.iberia.local. 30 IN A 192.0.2.99")}},
		{Qname: "downfb.avi.iberia.local.", Qtype: dns.TypeAAAA, Ns: nxSOA},
		{Qname: "downempty.avi.iberia.local.", Qtype: dns.TypeA, Ns: nxSOA},
		{Qname: "prio.avi.iberia.local.", Qtype: dns.TypeA, Answer: []dns.RR{test.A("prio.avi.iberia.local. 30 IN A 192.0.2.52")}},
		{Qname: "half.avi.iberia.local.", Qtype: dns.TypeA, Answer: []dns.RR{test.A("half.avi.iberia.local. 30 IN A 192.0.2.62")}},
		{Qname: "drain.avi.iberia.local.", Qtype: dns.TypeA, Answer: []dns.RR{test.A("drain.avi.iberia.local. 30 IN A 192.0.2.72")}},
	}
	for _, tc := range cases {
		t.Run(dns.TypeToString[tc.Qtype]+" "+tc.Qname, func(t *testing.T) {
			resp, _ := serve(t, g, tc.Msg())
			if resp == nil {
				t.Fatal("no reply written")
			}
			if !resp.Authoritative {
				t.Error("AA is not set")
			}
			if err := test.SortAndCheck(resp, tc); err != nil {
				t.Error(err)
			}
			// SortAndCheck compares names, types and TTLs: compare the data too.
			for i, rr := range tc.Answer {
				if resp.Answer[i].String() != rr.String() {
					t.Errorf("answer %d is %q, want %q", i, resp.Answer[i], rr)
				}
			}
			for i, rr := range tc.Ns {
				if resp.Ns[i].String() != rr.String() {
					t.Errorf("authority %d is %q, want %q", i, resp.Ns[i], rr)
				}
			}
		})
	}
}

func soaLineOwner(owner string, serial uint32) dns.RR {
	s := soaLine(serial, 30)
	s.Hdr.Name = owner
	return s
}

// Rcodes the handler returns for the server to write.
func TestServeDNSReturnedRcodes(t *testing.T) {
	g := newTestGSLB(t, testConfig(), nil)
	m := new(dns.Msg)

	m.SetQuestion("hello.avi.iberia.local.", dns.TypeA)
	if resp, code := serve(t, g, m); resp != nil || code != dns.RcodeServerFailure {
		t.Errorf("before the first table: wrote %v, rcode %d; want SERVFAIL and nothing written", resp, code)
	}
	if g.Ready() {
		t.Error("ready before the first table")
	}
	full(t, g, scenarioTable()...)
	if !g.Ready() {
		t.Error("not ready after the first table")
	}

	m.SetQuestion("downsf.avi.iberia.local.", dns.TypeA)
	if resp, code := serve(t, g, m); resp != nil || code != dns.RcodeServerFailure {
		t.Errorf("down response servfail: wrote %v, rcode %d", resp, code)
	}

	// Outside our zones: the next plugin (REFUSED in these tests).
	m.SetQuestion("example.org.", dns.TypeA)
	if _, code := serve(t, g, m); code != dns.RcodeRefused {
		t.Errorf("out of zone: rcode %d, want the next plugin's %d", code, dns.RcodeRefused)
	}
}

func TestUnhandled(t *testing.T) {
	for _, tt := range []struct {
		mode      unhandledMode
		wantCode  int
		wantReply bool
	}{
		{unhandledRefused, dns.RcodeRefused, false},
		{unhandledDrop, dns.RcodeSuccess, false},
	} {
		cfg := testConfig()
		cfg.unhandled = tt.mode
		g := newTestGSLB(t, cfg, nil)
		full(t, g, scenarioTable()...)
		m := new(dns.Msg)
		m.SetQuestion("nope.avi.iberia.local.", dns.TypeA)
		resp, code := serve(t, g, m)
		if code != tt.wantCode || (resp != nil) != tt.wantReply {
			t.Errorf("mode %d: rcode %d, reply %v; want %d, reply %v", tt.mode, code, resp != nil, tt.wantCode, tt.wantReply)
		}
		// Known names are unaffected.
		m.SetQuestion("hello.avi.iberia.local.", dns.TypeAAAA)
		if resp, _ := serve(t, g, m); resp == nil || resp.Rcode != dns.RcodeSuccess || len(resp.Ns) != 1 {
			t.Errorf("mode %d: NODATA for a known name changed: %v", tt.mode, resp)
		}
	}
}

func TestFallthrough(t *testing.T) {
	g := newTestGSLB(t, testConfig(), nil)
	g.Fall.SetZonesFromArgs(nil) // all zones
	full(t, g, scenarioTable()...)
	m := new(dns.Msg)
	m.SetQuestion("static.avi.iberia.local.", dns.TypeA)
	if resp, code := serve(t, g, m); resp != nil || code != dns.RcodeRefused {
		t.Errorf("fallthrough: reply %v rcode %d, want the next plugin", resp, code)
	}
	// Names we hold are still ours.
	m.SetQuestion("hello.avi.iberia.local.", dns.TypeA)
	if resp, _ := serve(t, g, m); resp == nil || len(resp.Answer) != 1 {
		t.Errorf("held name: %v", resp)
	}
}

func TestWRRExactSplit(t *testing.T) {
	g := newTestGSLB(t, testConfig(), nil)
	full(t, g, scenarioTable()...)
	counts := map[string]int{}
	m := new(dns.Msg)
	m.SetQuestion("hello.avi.iberia.local.", dns.TypeA)
	for range 1200 {
		resp, _ := serve(t, g, m)
		counts[resp.Answer[0].(*dns.A).A.String()]++
	}
	want := map[string]int{"127.0.0.11": 600, "127.0.0.12": 400, "127.0.0.13": 200}
	for k, v := range want {
		if counts[k] != v {
			t.Errorf("%s answered %d times, want %d (all: %v)", k, counts[k], v, counts)
		}
	}
}

func TestScheduleIsSmooth(t *testing.T) {
	s := buildSchedule([]uint32{20, 20, 1})
	if len(s) != 41 {
		t.Fatalf("schedule length %d, want 41", len(s))
	}
	// No member is answered twice in a row while another heavy one waits:
	// the 20:20 members alternate.
	for i := 1; i < len(s); i++ {
		if s[i] == s[i-1] && s[i] != 2 {
			t.Fatalf("member %d twice in a row at %d: %v", s[i], i, s)
		}
	}
	s = buildSchedule([]uint32{6, 4, 2}) // reduced to 3:2:1
	if got := len(s); got != 6 {
		t.Fatalf("6:4:2 schedule length %d, want 6", got)
	}
}

func TestRandomUsesInjectedSource(t *testing.T) {
	// cum weights 6,10,12: 0-5 → .11, 6-9 → .12, 10-11 → .13.
	rng := &seqRand{vals: []uint32{0, 6, 11, 5}}
	g := newTestGSLB(t, testConfig(), rng)
	r := rec("hello.avi.iberia.local", mem("127.0.0.11", 6), mem("127.0.0.12", 4), mem("127.0.0.13", 2))
	r.Algorithm = gslbv1.Algorithm_ALGORITHM_RANDOM
	full(t, g, r)
	m := new(dns.Msg)
	m.SetQuestion("hello.avi.iberia.local.", dns.TypeA)
	var got []string
	for range 4 {
		resp, _ := serve(t, g, m)
		got = append(got, resp.Answer[0].(*dns.A).A.String())
	}
	want := []string{"127.0.0.11", "127.0.0.12", "127.0.0.13", "127.0.0.11"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("picks %v, want %v", got, want)
		}
	}
}

func TestAnswersN(t *testing.T) {
	cfg := testConfig()
	cfg.answers = 2
	g := newTestGSLB(t, cfg, nil)
	full(t, g, scenarioTable()...)
	m := new(dns.Msg)
	m.SetQuestion("hello.avi.iberia.local.", dns.TypeA)
	seenFirst := map[string]int{}
	for range 12 {
		resp, _ := serve(t, g, m)
		if len(resp.Answer) != 2 {
			t.Fatalf("%d answers, want 2", len(resp.Answer))
		}
		a, b := resp.Answer[0].(*dns.A).A.String(), resp.Answer[1].(*dns.A).A.String()
		if a == b {
			t.Fatalf("duplicate member %s", a)
		}
		seenFirst[a]++
	}
	// The first answer still follows the weights exactly.
	if seenFirst["127.0.0.11"] != 6 || seenFirst["127.0.0.12"] != 4 || seenFirst["127.0.0.13"] != 2 {
		t.Errorf("first answers %v, want 6:4:2", seenFirst)
	}
}

// A record at the zone apex answers A from the table, but the apex SOA and
// NS still come from the Corefile: a delegation check (SOA at the apex)
// never sees NODATA.
func TestApexRecordKeepsSOAAndNS(t *testing.T) {
	g := newTestGSLB(t, testConfig(), nil)
	v := full(t, g, rec("avi.iberia.local", mem("192.0.2.80", 1))).Version()
	for _, tc := range []test.Case{
		{Qname: "avi.iberia.local.", Qtype: dns.TypeA, Answer: []dns.RR{test.A("avi.iberia.local. 30 IN A 192.0.2.80")}},
		{Qname: "avi.iberia.local.", Qtype: dns.TypeSOA, Answer: []dns.RR{soaLine(v, 30)}},
		{Qname: "avi.iberia.local.", Qtype: dns.TypeNS,
			Answer: []dns.RR{test.NS("avi.iberia.local. 30 IN NS g-dns.iberia.local.")},
			Extra:  []dns.RR{test.A("g-dns.iberia.local. 30 IN A 192.0.2.53")}},
	} {
		resp, _ := serve(t, g, tc.Msg())
		if resp == nil {
			t.Fatalf("%s: no reply written", dns.TypeToString[tc.Qtype])
		}
		if err := test.SortAndCheck(resp, tc); err != nil {
			t.Errorf("%s: %v", dns.TypeToString[tc.Qtype], err)
		}
	}
}
