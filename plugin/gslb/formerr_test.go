package gslb

import (
	"testing"

	"github.com/miekg/dns"
)

// RFC 6891 section 6.1.1: a query with two OPT records, or an OPT whose
// owner is not the root, gets FORMERR, without an OPT in the reply.
func TestBadOPTFormErr(t *testing.T) {
	g := newTestGSLB(t, testConfig(), nil)
	full(t, g, scenarioTable()...)
	opt := func(owner string) *dns.OPT {
		o := &dns.OPT{Hdr: dns.RR_Header{Name: owner, Rrtype: dns.TypeOPT}}
		o.SetUDPSize(1232)
		return o
	}
	for _, tt := range []struct {
		name  string
		extra []dns.RR
		want  int
	}{
		{"one OPT", []dns.RR{opt(".")}, dns.RcodeSuccess},
		{"no OPT", nil, dns.RcodeSuccess},
		{"two OPTs", []dns.RR{opt("."), opt(".")}, dns.RcodeFormatError},
		{"OPT owner not root", []dns.RR{opt("example.org.")}, dns.RcodeFormatError},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := new(dns.Msg)
			m.SetQuestion("hello.avi.iberia.local.", dns.TypeA)
			m.Extra = tt.extra
			resp, code := serve(t, g, m)
			if resp == nil {
				t.Fatalf("nothing written (rcode %d)", code)
			}
			if resp.Rcode != tt.want || code != tt.want {
				t.Fatalf("rcode %s (returned %s), want %s", dns.RcodeToString[resp.Rcode], dns.RcodeToString[code], dns.RcodeToString[tt.want])
			}
			if tt.want == dns.RcodeFormatError && (len(resp.Answer) != 0 || resp.IsEdns0() != nil || len(resp.Question) != 1) {
				t.Errorf("FORMERR reply has %d answers, OPT %v, %d questions; want 0, none, 1", len(resp.Answer), resp.IsEdns0() != nil, len(resp.Question))
			}
		})
	}
	if n := g.zoneData[0].stats.counts[qtypeIndex(dns.TypeA)][resFormErr].Load(); n != 2 {
		t.Errorf("requests counted as formerr: %d, want 2 (one per malformed query)", n)
	}
}
