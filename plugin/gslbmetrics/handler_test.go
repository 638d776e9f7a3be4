package gslbmetrics

import (
	"testing"

	"github.com/coredns/coredns/plugin/metrics/vars"
	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
)

// The standard series count exactly what was served: requests by zone,
// proto, family and type; responses by rcode and the plugin that wrote them;
// DO requests; and, every query being sampled here, the histograms.
func TestCounts(t *testing.T) {
	const srv = "dns://test-counts:53"
	ctx := serverCtx(srv)
	zones := []string{"avi.iberia.local.", "iberia.local."}
	m := newTestMetrics(newAnswering(dns.RcodeSuccess, true), 1, zones...)

	for range 5 {
		serve(t, m, ctx, &writer{remote: udp4}, query("hello.avi.iberia.local.", dns.TypeA, false))
	}
	serve(t, m, ctx, &writer{remote: tcp6}, query("Hello.AVI.iberia.local.", dns.TypeAAAA, true))
	serve(t, m, ctx, &writer{remote: udp4}, query("www.iberia.local.", dns.TypeMX, false))
	serve(t, m, ctx, &writer{remote: udp4}, query("www.iberia.local.", dns.TypeNAPTR, false))

	m.Next = newAnswering(dns.RcodeNameError, true)
	serve(t, m, ctx, &writer{remote: udp4}, query("nope.avi.iberia.local.", dns.TypeA, false))
	m.Next = newAnswering(dns.RcodeServerFailure, false) // the server writes SERVFAIL
	serve(t, m, ctx, &writer{remote: udp4}, query("hello.avi.iberia.local.", dns.TypeA, false))
	serve(t, m, ctx, &writer{remote: udp4}, query("elsewhere.example.", dns.TypeA, false)) // no zone: not counted

	for _, c := range []struct {
		labels []string
		want   float64
	}{
		{[]string{srv, "avi.iberia.local.", "", "udp", "1", "A"}, 7},
		{[]string{srv, "avi.iberia.local.", "", "tcp", "2", "AAAA"}, 1},
		{[]string{srv, "iberia.local.", "", "udp", "1", "MX"}, 1},
		{[]string{srv, "iberia.local.", "", "udp", "1", "other"}, 1},
	} {
		if got := testutil.ToFloat64(vars.RequestCount.WithLabelValues(c.labels...)); got != c.want {
			t.Errorf("requests %v = %v, want %v", c.labels, got, c.want)
		}
	}
	for _, c := range []struct {
		labels []string
		want   float64
	}{
		{[]string{srv, "avi.iberia.local.", "", "NOERROR", "answering"}, 6},
		{[]string{srv, "avi.iberia.local.", "", "NXDOMAIN", "answering"}, 1},
		{[]string{srv, "avi.iberia.local.", "", "SERVFAIL", ""}, 1},
		{[]string{srv, "iberia.local.", "", "NOERROR", "answering"}, 2},
	} {
		if got := testutil.ToFloat64(vars.ResponseRcode.WithLabelValues(c.labels...)); got != c.want {
			t.Errorf("responses %v = %v, want %v", c.labels, got, c.want)
		}
	}
	if got := testutil.ToFloat64(vars.RequestDo.WithLabelValues(srv, "avi.iberia.local.", "")); got != 1 {
		t.Errorf("do requests %v, want 1", got)
	}
	if got := histogramCount(t, vars.RequestDuration, srv, "avi.iberia.local.", ""); got != 8 {
		t.Errorf("duration samples %d, want 8 (all sampled)", got)
	}
	if got := histogramCount(t, vars.ResponseSize, srv, "avi.iberia.local.", "", "udp"); got != 7 {
		t.Errorf("udp response size samples %d, want 7", got)
	}
}

// With the stock prometheus plugin in the block, gslbmetrics counts nothing.
func TestNotCountingBesideStockPlugin(t *testing.T) {
	const srv = "dns://test-stock:53"
	m := newTestMetrics(newAnswering(dns.RcodeSuccess, true), 1, "avi.iberia.local.")
	m.setBlock(blockInfo{plugins: []string{"prometheus", "gslbmetrics", "answering"}}, false)
	if rc := serve(t, m, serverCtx(srv), &writer{remote: udp4}, query("hello.avi.iberia.local.", dns.TypeA, false)); rc != dns.RcodeSuccess {
		t.Fatalf("rcode %d", rc)
	}
	// DeleteLabelValues reports whether the series existed.
	if vars.RequestCount.DeleteLabelValues(srv, "avi.iberia.local.", "", "udp", "1", "A") ||
		vars.ResponseRcode.DeleteLabelValues(srv, "avi.iberia.local.", "", "NOERROR", "answering") {
		t.Error("counted beside the stock prometheus plugin")
	}
}

// Sampling 1 in N: the counters count every query, the histograms about 1/N.
func TestSampling(t *testing.T) {
	const srv = "dns://test-sampling:53"
	m := newTestMetrics(newAnswering(dns.RcodeSuccess, true), 10, "avi.iberia.local.")
	const n = 20_000
	ctx, w, r := serverCtx(srv), &writer{remote: udp4}, query("hello.avi.iberia.local.", dns.TypeA, false)
	for range n {
		serve(t, m, ctx, w, r)
	}
	if got := testutil.ToFloat64(vars.RequestCount.WithLabelValues(srv, "avi.iberia.local.", "", "udp", "1", "A")); got != n {
		t.Errorf("requests %v, want %d", got, n)
	}
	// Binomial(20000, 0.1): mean 2000, sd 42; 1600..2400 is over 9 sd wide.
	if got := histogramCount(t, vars.RequestDuration, srv, "avi.iberia.local.", ""); got < 1600 || got > 2400 {
		t.Errorf("duration samples %d, want about %d", got, n/10)
	}
}

func histogramCount(t *testing.T, v *prometheus.HistogramVec, labels ...string) uint64 {
	t.Helper()
	h, err := v.GetMetricWithLabelValues(labels...)
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan prometheus.Metric, 1)
	h.(prometheus.Histogram).Collect(ch)
	var out dto.Metric
	if err := (<-ch).Write(&out); err != nil {
		t.Fatal(err)
	}
	return out.GetHistogram().GetSampleCount()
}
