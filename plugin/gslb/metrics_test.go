package gslb

import (
	"strings"
	"testing"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestMetrics(t *testing.T) {
	g := newTestGSLB(t, testConfig(), nil)
	full(t, g, scenarioTable()...)
	m := new(dns.Msg)
	m.SetQuestion("hello.avi.iberia.local.", dns.TypeA)
	for range 12 {
		serve(t, g, m)
	}
	m.SetQuestion("nope.avi.iberia.local.", dns.TypeA)
	serve(t, g, m)
	m.SetQuestion("hello.avi.iberia.local.", dns.TypeAAAA)
	serve(t, g, m)
	g.feed.apply(&gslbv1.ApplyHeader{Kind: gslbv1.Kind_KIND_DELTA, BaseVersion: 1}, nil, nil) // a conflict

	expected := `
# HELP coredns_gslb_pushes_total Table pushes received over gRPC, by kind (KIND_FULL, KIND_DELTA) and result (applied, invalid, conflict).
# TYPE coredns_gslb_pushes_total counter
coredns_gslb_pushes_total{kind="KIND_DELTA",result="conflict"} 1
coredns_gslb_pushes_total{kind="KIND_FULL",result="applied"} 1
# HELP coredns_gslb_requests_total Queries answered by gslb, by zone, query type and result.
# TYPE coredns_gslb_requests_total counter
coredns_gslb_requests_total{result="answer",type="A",zone="avi.iberia.local."} 12
coredns_gslb_requests_total{result="nodata",type="AAAA",zone="avi.iberia.local."} 1
coredns_gslb_requests_total{result="nxdomain",type="A",zone="avi.iberia.local."} 1
`
	if err := testutil.CollectAndCompare(g.feed.met, strings.NewReader(expected), "coredns_gslb_pushes_total", "coredns_gslb_requests_total"); err != nil {
		t.Error(err)
	}

	// The observed split, per member, and the configured weights beside it.
	reg := prometheus.NewRegistry()
	reg.MustRegister(g.feed.met)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	answers, weights := map[string]float64{}, map[string]float64{}
	for _, mf := range mfs {
		for _, mt := range mf.GetMetric() {
			l := map[string]string{}
			for _, p := range mt.GetLabel() {
				l[p.GetName()] = p.GetValue()
			}
			if l["fqdn"] != "hello.avi.iberia.local." {
				continue
			}
			switch mf.GetName() {
			case "coredns_gslb_answers_total":
				answers[l["member"]] = mt.GetCounter().GetValue()
			case "coredns_gslb_member_weight":
				weights[l["member"]] = mt.GetGauge().GetValue()
			}
		}
	}
	for member, want := range map[string]float64{"127.0.0.11": 6, "127.0.0.12": 4, "127.0.0.13": 2} {
		if answers[member] != want || weights[member] != want {
			t.Errorf("%s: answers %v weight %v, want %v and %v", member, answers[member], weights[member], want, want)
		}
	}
	if v := testutil.ToFloat64(prometheus.CollectorFunc(func(ch chan<- prometheus.Metric) {
		for _, x := range collectAll(g.feed.met) {
			if strings.Contains(x.Desc().String(), "coredns_gslb_table_records") {
				ch <- x
			}
		}
	})); v != float64(len(scenarioTable())) {
		t.Errorf("table records %v, want %d", v, len(scenarioTable()))
	}
}

// member_metrics off: while any started block has it off, no per-member
// series; the others stay.
func TestMemberMetricsOff(t *testing.T) {
	g := newTestGSLB(t, testConfig(), nil)
	full(t, g, scenarioTable()...)
	count := func() (members, others int) {
		for _, x := range collectAll(g.feed.met) {
			if strings.Contains(x.Desc().String(), "member") || strings.Contains(x.Desc().String(), "answers_total") {
				members++
			} else {
				others++
			}
		}
		return members, others
	}
	on, others := count()
	if on == 0 || others == 0 {
		t.Fatalf("%d member series, %d others", on, others)
	}
	g.feed.met.quietMembers(true, 1)  // a block with member_metrics off starts
	g.feed.met.quietMembers(false, 1) // and one with it on
	if m, o := count(); m != 0 || o != others {
		t.Errorf("off: %d member series, %d others; want 0 and %d", m, o, others)
	}
	g.feed.met.quietMembers(true, -1) // the block with it off stops (a reload)
	if m, _ := count(); m != on {
		t.Errorf("back on: %d member series, want %d", m, on)
	}
}

func collectAll(c prometheus.Collector) []prometheus.Metric {
	ch := make(chan prometheus.Metric, 1024)
	go func() { c.Collect(ch); close(ch) }()
	var out []prometheus.Metric
	for m := range ch {
		out = append(out, m)
	}
	return out
}
