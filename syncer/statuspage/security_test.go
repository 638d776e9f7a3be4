package statuspage

import (
	"net/http"
	"strings"
	"testing"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
)

// A name, reason or origin crafted as markup is shown as text, on the
// index, on the record page and in the chart.
func TestEscapesMarkup(t *testing.T) {
	const evil = `<script>alert(1)</script><img src=x onerror=alert(2)>.avi.iberia.local.`
	tab := fixedTable{gen: 1, recs: []*gslbv1.Record{{
		Fqdn: evil, Origin: `"><svg onload=alert(3)>`,
		Members: []*gslbv1.Member{{Hostname: `<b>host</b>.example.`, Weight: 1, Site: `<i>s</i>`,
			Health: gslbv1.Health_HEALTH_DOWN, HealthReason: `<script>alert(4)</script>`}},
	}}}
	srv := serve(t, Options{Table: tab, AnswersURL: "http://127.0.0.1:1/metrics"})
	for _, path := range []string{"/status/", "/status/?q=" + "%3Cscript", recordURL(evil)} {
		resp, body := get(t, srv.URL+path)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %s", path, resp.Status)
		}
		for _, bad := range []string{"<script>alert", "<img src=x", "<svg onload", "<b>host", "<i>s</i>"} {
			if strings.Contains(body, bad) {
				t.Errorf("GET %s: the markup %q is in the page unescaped", path, bad)
			}
		}
		if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("GET %s: the name is not shown escaped", path)
		}
	}
}

// No route changes anything: every method but GET and HEAD is refused on
// every path of the page.
func TestNoMutatingHandlers(t *testing.T) {
	srv := serve(t, Options{Table: helloTable()})
	paths := []string{"/status", "/status/", PathRecord + "?name=hello.avi.iberia.local.", PathSummary, PathDetail + "?name=hello.avi.iberia.local.",
		"/status/static/page.js", "/status/anything"}
	for _, path := range paths {
		for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader("x=1"))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusMethodNotAllowed && resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s %s: %s, want 405 (or 404)", method, path, resp.Status)
			}
		}
	}
}

// The page forbids framing and foreign scripts, and says so on every
// answer.
func TestSecurityHeaders(t *testing.T) {
	srv := serve(t, Options{Table: helloTable()})
	for _, path := range []string{"/status/", PathSummary} {
		resp, _ := get(t, srv.URL+path)
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("GET %s: Content-Security-Policy %q", path, csp)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: no X-Content-Type-Options: nosniff", path)
		}
	}
}
