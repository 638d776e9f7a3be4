package gslbmetrics

import (
	"testing"

	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/metrics"
	"github.com/miekg/dns"
)

// BenchmarkServeDNS is one query through a counting plugin in front of a
// next plugin that answers without allocating: "none" is the next plugin
// alone, "gslbmetrics" adds this plugin (default sampling, and every query
// sampled), "prometheus" adds CoreDNS's stock plugin instead. gslbmetrics
// must add 0 allocs/op on the unsampled path.
func BenchmarkServeDNS(b *testing.B) {
	next := newAnswering(dns.RcodeSuccess, true)
	stock := metrics.New("")
	stock.AddZone("avi.iberia.local.")
	stock.Next = next
	for _, c := range []struct {
		name string
		h    plugin.Handler
	}{
		{"none", next},
		{"gslbmetrics", newTestMetrics(next, defaultSample, "avi.iberia.local.")},
		{"gslbmetrics-unsampled", newTestMetrics(next, 1<<31, "avi.iberia.local.")},
		{"gslbmetrics-all-sampled", newTestMetrics(next, 1, "avi.iberia.local.")},
		{"prometheus", stock},
	} {
		b.Run(c.name, func(b *testing.B) {
			ctx := serverCtx("dns://bench:53")
			w := &writer{remote: udp4}
			r := query("hello.avi.iberia.local.", dns.TypeA, false)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.h.ServeDNS(ctx, w, r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
