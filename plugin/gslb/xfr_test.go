package gslb

import (
	"strings"
	"testing"

	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// Transfers and NOTIFY get an rcode for the server to write, nothing else:
// no records, no round-robin step, no count.
func TestNotAQuery(t *testing.T) {
	ixfr := func() *dns.Msg {
		m := new(dns.Msg)
		m.SetIxfr(zone, 1, "g-dns.iberia.local.", "johernandez.iberia.local.")
		return m
	}
	notify := func(qname string, qtype uint16) *dns.Msg {
		m := new(dns.Msg)
		m.SetNotify(qname)
		m.Question[0].Qtype = qtype
		return m
	}
	cases := []struct {
		name     string
		msg      *dns.Msg
		transfer bool // a transfer plugin follows
		want     int
	}{
		{"AXFR", question(zone, dns.TypeAXFR), false, dns.RcodeRefused},
		{"AXFR of a name", question("hello."+zone, dns.TypeAXFR), false, dns.RcodeRefused},
		{"IXFR", ixfr(), false, dns.RcodeRefused},
		{"AXFR with transfer", question(zone, dns.TypeAXFR), true, dns.RcodeNotAuth},
		{"IXFR with transfer", ixfr(), true, dns.RcodeNotAuth},
		{"NOTIFY SOA", notify(zone, dns.TypeSOA), false, dns.RcodeNotImplemented},
		{"NOTIFY A", notify("hello."+zone, dns.TypeA), false, dns.RcodeNotImplemented},
		{"NOTIFY with transfer", notify("hello."+zone, dns.TypeA), true, dns.RcodeNotImplemented},
		{"UPDATE", func() *dns.Msg { m := new(dns.Msg); m.SetUpdate(zone); return m }(), false, dns.RcodeNotImplemented},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := newTestGSLB(t, testConfig(), nil)
			// The next plugin answers NOTAUTH, so a hand-off is told from our REFUSED.
			g.Next = test.NextHandler(dns.RcodeNotAuth, nil)
			g.transfer = tc.transfer
			full(t, g, scenarioTable()...)
			for range 5 {
				if got, code := serve(t, g, tc.msg); got != nil || code != tc.want {
					t.Fatalf("rcode %s, wrote %v; want %s and nothing written", dns.RcodeToString[code], got, dns.RcodeToString[tc.want])
				}
			}
			// The round robin did not move: the first answer is the first of 0 1 0 2 1 0.
			if got, _ := serve(t, g, question("hello."+zone, dns.TypeA)); len(got.Answer) != 1 || got.Answer[0].(*dns.A).A.String() != "127.0.0.11" {
				t.Fatalf("first query after: %v, want 127.0.0.11", got.Answer)
			}
			want := `
# HELP coredns_gslb_requests_total Queries answered by gslb, by zone, query type and result.
# TYPE coredns_gslb_requests_total counter
coredns_gslb_requests_total{result="answer",type="A",zone="avi.iberia.local."} 1
`
			if err := testutil.CollectAndCompare(g.feed.met, strings.NewReader(want), "coredns_gslb_requests_total"); err != nil {
				t.Error(err)
			}
			if n := answersCounted(t, g); n != 1 {
				t.Errorf("coredns_gslb_answers_total sums to %v, want 1", n)
			}
		})
	}
}

// A transfer the chain after us does not answer (no transfer configured for
// the zone, and nothing else) is REFUSED, not the SERVFAIL of an empty chain.
func TestTransferNotAnswered(t *testing.T) {
	g := newTestGSLB(t, testConfig(), nil)
	g.Next, g.transfer = nil, true
	full(t, g, scenarioTable()...)
	if got, code := serve(t, g, question(zone, dns.TypeAXFR)); got != nil || code != dns.RcodeRefused {
		t.Errorf("AXFR with nothing after us: rcode %s, wrote %v; want REFUSED", dns.RcodeToString[code], got)
	}
}

// A request for a name outside our zones is not ours, whatever its opcode.
func TestNotifyOutsideZones(t *testing.T) {
	g := newTestGSLB(t, testConfig(), nil)
	g.Next = test.NextHandler(dns.RcodeNotAuth, nil)
	m := new(dns.Msg)
	m.SetNotify("example.org.")
	if _, code := serve(t, g, m); code != dns.RcodeNotAuth {
		t.Errorf("rcode %s, want the next plugin's NOTAUTH", dns.RcodeToString[code])
	}
}

func question(name string, qtype uint16) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	return m
}

// answersCounted sums coredns_gslb_answers_total over every member.
func answersCounted(t *testing.T, g *GSLB) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(g.feed.met)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != "coredns_gslb_answers_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}
