package statuspage

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// Pages of a 100k-record table, as the page's polling asks for them: the
// first page, a search that matches 100 names, and the HTML of the first
// page. The index is built once per table (BenchmarkIndex100k).
func BenchmarkSummaryPage100k(b *testing.B) {
	tab := numberedTable(100_000)
	p := New(Options{Table: tab})
	mux := http.NewServeMux()
	p.Register(mux)
	for _, c := range []struct{ name, url string }{
		{"json-first-page", PathSummary},
		{"json-search", PathSummary + "?q=r-009&page=2&size=50"},
		{"html-first-page", PathPage},
		{"json-page-of-500", PathSummary + "?page=100&size=500"},
	} {
		b.Run(c.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, c.url, nil)
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				mux.ServeHTTP(w, req)
				if w.Code != 200 {
					b.Fatalf("%s: %d", c.url, w.Code)
				}
			}
		})
	}
}

// BenchmarkIndex100k is the cost of a new table: sorting 100k names.
func BenchmarkIndex100k(b *testing.B) {
	tab := numberedTable(100_000)
	b.ReportAllocs()
	for b.Loop() {
		buildIndex(tab.recs, 1)
	}
}
