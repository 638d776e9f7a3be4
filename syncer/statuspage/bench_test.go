package statuspage

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
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

// BenchmarkScrape100k is one scrape of the answers of 100k records of 3
// members (300k series): parsing the plugin's text and adding the interval.
func BenchmarkScrape100k(b *testing.B) {
	var text strings.Builder
	for i := range 100_000 {
		for j := 1; j <= 3; j++ {
			fmt.Fprintf(&text, "coredns_gslb_answers_total{cluster=\"c%d\",fqdn=\"r-%06d.avi.iberia.local.\",member=\"192.0.2.%d\",site=\"s\"} %d\n", j, i, j, i*j)
		}
	}
	body := text.String()
	a := newAnswers("u", 5*time.Second, 60, 1_000_000)
	at := time.Unix(0, 0)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		samples, err := parseAnswers(strings.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		at = at.Add(5 * time.Second)
		a.add(at, samples, nil)
	}
	b.StopTimer()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-MiB") // the series kept, and the scraped text (33 MB)
	runtime.KeepAlive(a)
	runtime.KeepAlive(body)
}

// BenchmarkIndexNewGeneration100k is the cost of a new generation of the
// same names (a health change): no sort, one pass.
func BenchmarkIndexNewGeneration100k(b *testing.B) {
	tab := numberedTable(100_000)
	var c indexCache
	c.get(tab)
	b.ReportAllocs()
	for b.Loop() {
		tab.gen++
		if ix := c.get(tab); ix.generation != tab.gen {
			b.Fatal("stale index")
		}
	}
}
