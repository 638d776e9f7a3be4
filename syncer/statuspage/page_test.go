package statuspage

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/health"
	"google.golang.org/protobuf/proto"
)

// fixedTable is a table given whole (one unit's input, not a fake of a
// component: the page only reads it).
type fixedTable struct {
	recs []*gslbv1.Record
	gen  uint64
}

func (t fixedTable) Desired() ([]*gslbv1.Record, uint64, bool) { return t.recs, t.gen, t.gen > 0 }

// staticDecisions gives one batch of decisions at start.
type staticDecisions []health.Decision

func (d staticDecisions) WatchDecisions(f func([]health.Decision)) func() {
	f(d)
	return func() {}
}

var decidedAt = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)

func helloTable() fixedTable {
	return fixedTable{gen: 3, recs: []*gslbv1.Record{
		{Fqdn: "test.avi.iberia.local.", Ttl: proto.Uint32(300), Members: []*gslbv1.Member{{Address: "192.0.2.20", Weight: 1}}},
		{Fqdn: "hello.avi.iberia.local.", Ttl: proto.Uint32(2), Algorithm: gslbv1.Algorithm_ALGORITHM_WRR, Members: []*gslbv1.Member{
			{Address: "127.0.0.11", Cluster: "s1az1", Site: "site1", Weight: 6, Health: gslbv1.Health_HEALTH_DOWN, HealthReason: "timeout after 1s"},
			{Address: "127.0.0.12", Cluster: "s1az2", Site: "site1", Weight: 4, Health: gslbv1.Health_HEALTH_UP, HealthReason: "HTTP 200"},
			{Address: "127.0.0.13", Cluster: "s2", Site: "site2", Weight: 2, Health: gslbv1.Health_HEALTH_DOWN,
				HealthReason: "drained in the members file (drained.clusters: s2)"},
		}},
	}}
}

func serve(t *testing.T, o Options) *httptest.Server {
	t.Helper()
	p := New(o)
	if o.Decisions != nil {
		stop := o.Decisions.WatchDecisions(p.dec.observe)
		t.Cleanup(stop)
	}
	mux := http.NewServeMux()
	p.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestIndexShowsMembers(t *testing.T) {
	srv := serve(t, Options{Table: helloTable(), Decisions: staticDecisions{
		{Target: "127.0.0.11|http|8000|GET|/", Health: gslbv1.Health_HEALTH_DOWN, Reason: "timeout after 1s", Since: decidedAt}}})
	resp, body := get(t, srv.URL+"/status/")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /status/: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		`data-fqdn="hello.avi.iberia.local."`, `data-member="127.0.0.11" data-health="down" data-drained="false"`,
		`data-member="127.0.0.13" data-health="down" data-drained="true"`, "✖ down", "✔ up", "⊘ drained",
		"timeout after 1s", "Dec 7 10:00:00 UTC", "6 → 0", "4 → 4", "2 records",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Index(body, "hello.avi") > strings.Index(body, "test.avi") {
		t.Errorf("records not sorted by name")
	}
}
