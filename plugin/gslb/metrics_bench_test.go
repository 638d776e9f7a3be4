package gslb

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// BenchmarkScrape is one GET /metrics of gslb's series (text format, as
// Prometheus scrapes it) with the table at 1k, 10k and 100k records of three
// members each, with and without the per-member series.
func BenchmarkScrape(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		for _, members := range []bool{true, false} {
			b.Run(fmt.Sprintf("%d/members=%v", n, members), func(b *testing.B) {
				g := newTestGSLB(b, testConfig(), nil)
				full(b, g, bigTable(n)...)
				if !members {
					g.feed.met.quietMembers(true, 1)
				}
				reg := prometheus.NewRegistry()
				reg.MustRegister(g.feed.met)
				h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
				req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
				var size int
				b.ReportAllocs()
				for b.Loop() {
					w := httptest.NewRecorder()
					h.ServeHTTP(w, req)
					if w.Code != http.StatusOK {
						b.Fatalf("status %d: %s", w.Code, w.Body)
					}
					size = w.Body.Len()
				}
				b.ReportMetric(float64(size)/(1<<20), "body-MiB")
			})
		}
	}
}
