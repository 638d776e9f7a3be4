package gslb

import (
	"testing"

	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"
)

// Before the first table the apex SOA and NS and the NS name's glue come
// from the Corefile and are answered (serial 0); every other name gets
// SERVFAIL, nothing a resolver would cache, and the plugin is not ready.
func TestNotReadyAnswersApex(t *testing.T) {
	g := newTestGSLB(t, inZoneNSConfig(), nil)
	soa := soaLine(0, 30)
	soa.Ns = "ns1.avi.iberia.local."
	ns := test.NS("avi.iberia.local. 30 IN NS ns1.avi.iberia.local.")
	glue := test.A("ns1.avi.iberia.local. 30 IN A 192.0.2.53")
	for _, tt := range []struct {
		qname  string
		qtype  uint16
		answer []dns.RR
		extra  []dns.RR
	}{
		{"avi.iberia.local.", dns.TypeSOA, []dns.RR{soa}, nil},
		{"avi.iberia.local.", dns.TypeNS, []dns.RR{ns}, []dns.RR{glue}},
		{"ns1.avi.iberia.local.", dns.TypeA, []dns.RR{glue}, nil},
		// Not from the Corefile: SERVFAIL until a table is loaded.
		{"ns1.avi.iberia.local.", dns.TypeAAAA, nil, nil},
		{"avi.iberia.local.", dns.TypeA, nil, nil},
		{"avi.iberia.local.", dns.TypeANY, nil, nil},
		{"hello.avi.iberia.local.", dns.TypeA, nil, nil},
		{"nope.avi.iberia.local.", dns.TypeSOA, nil, nil},
	} {
		t.Run(dns.TypeToString[tt.qtype]+" "+tt.qname, func(t *testing.T) {
			m := new(dns.Msg)
			m.SetQuestion(tt.qname, tt.qtype)
			resp, code := serve(t, g, m)
			if tt.answer == nil {
				if resp != nil || code != dns.RcodeServerFailure {
					t.Fatalf("wrote %v, rcode %d; want SERVFAIL and nothing written", resp, code)
				}
				return
			}
			if resp == nil || resp.Rcode != dns.RcodeSuccess || !resp.Authoritative {
				t.Fatalf("reply %v (rcode %d), want an authoritative NOERROR", resp, code)
			}
			checkRRs(t, "answer", resp.Answer, tt.answer)
			checkRRs(t, "additional", resp.Extra, tt.extra)
		})
	}
	if g.Ready() {
		t.Error("ready before the first table")
	}
}

func inZoneNSConfig() *config {
	cfg := testConfig()
	cfg.mname = "ns1.avi.iberia.local."
	cfg.ns[0].name = "ns1.avi.iberia.local."
	return cfg
}

func checkRRs(t *testing.T, section string, got, want []dns.RR) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %v, want %v", section, got, want)
	}
	for i := range want {
		if got[i].String() != want[i].String() {
			t.Errorf("%s %d: %q, want %q", section, i, got[i], want[i])
		}
	}
}
