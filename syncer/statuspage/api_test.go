package statuspage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"google.golang.org/protobuf/proto"
)

// The summary's schema: the documented fields, with their JSON types, and
// nothing the Go types do not know.
func TestSummarySchema(t *testing.T) {
	srv := serve(t, Options{Table: helloTable(), Decisions: staticDecisions{}})
	resp, body := get(t, srv.URL+PathSummary+"?q=hello")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET %s: %s %s", PathSummary, resp.Status, resp.Header.Get("Content-Type"))
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(body), &raw); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"now": "string", "generation": "number", "records": "object", "probes": "object",
		"delegation": "null", "targets": "array", "clusters": "array", "transitions": "array", "answers": "null"}
	for k, typ := range want {
		if got := jsonType(raw[k]); got != typ {
			t.Errorf("%s: %s, want %s", k, got, typ)
		}
	}
	if len(raw) != len(want) {
		t.Errorf("fields %v, want exactly %v", keys(raw), want)
	}
	var s Summary
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		t.Fatal(err)
	}
	r := s.Records
	if r.Query != "hello" || r.Total != 2 || r.Matched != 1 || r.Page != 1 || r.Pages != 1 || r.PageSize != defaultPageSize || len(r.Items) != 1 {
		t.Fatalf("records: %+v", r)
	}
	m := r.Items[0].Members
	if len(m) != 3 || m[0].Health != "down" || m[0].EffectiveWeight != 0 || m[1].EffectiveWeight != 4 || !m[2].Drained || m[1].Drained {
		t.Errorf("members: %+v", m)
	}
	if s.Probes.Role != "alone" || s.Probes.Shared {
		t.Errorf("probes: %+v", s.Probes)
	}
	item := raw["records"].(map[string]any)["items"].([]any)[0].(map[string]any)
	member := item["members"].([]any)[0].(map[string]any)
	for _, k := range []string{"address", "cluster", "site", "weight", "effectiveWeight", "priority", "health", "reason", "drained"} {
		if _, ok := member[k]; !ok {
			t.Errorf("a member has no %q: %v", k, member)
		}
	}
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case []any:
		return "array"
	}
	return "object"
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// A client that has the page gets a 304, until the table changes.
func TestETag(t *testing.T) {
	tab := &swapTable{t: helloTable()}
	srv := serve(t, Options{Table: tab})
	resp, _ := get(t, srv.URL+"/status/")
	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	if resp, _ := get(t, srv.URL+"/status/", "If-None-Match", etag); resp.StatusCode != http.StatusNotModified {
		t.Errorf("the same page again: %s, want 304", resp.Status)
	}
	next := helloTable()
	next.gen = 4
	next.recs[1].Members[0].Health = gslbv1.Health_HEALTH_UP
	tab.t = next
	if resp, _ := get(t, srv.URL+"/status/", "If-None-Match", etag); resp.StatusCode != http.StatusOK {
		t.Errorf("after a change: %s, want 200", resp.Status)
	}
}

type swapTable struct{ t fixedTable }

func (s *swapTable) Desired() ([]*gslbv1.Record, uint64, bool) { return s.t.Desired() }

// Search and paging are done on the server: pages of the matching names,
// in order; past the end, the last page.
func TestSearchAndPages(t *testing.T) {
	srv := serve(t, Options{Table: numberedTable(1000)})
	var s Summary
	getJSON(t, srv.URL+PathSummary+"?q=R-00&page=3&size=4", &s)
	r := s.Records
	if r.Total != 1000 || r.Matched != 100 || r.Page != 3 || r.Pages != 25 || len(r.Items) != 4 {
		t.Fatalf("records: %+v", r)
	}
	for i, it := range r.Items {
		if want := fmt.Sprintf("r-%04d.avi.iberia.local.", 8+i); it.FQDN != want {
			t.Errorf("item %d: %s, want %s", i, it.FQDN, want)
		}
	}
	getJSON(t, srv.URL+PathSummary+"?q=r-09&page=99&size=30", &s)
	if r := s.Records; r.Page != 4 || len(r.Items) != 10 || r.Items[9].FQDN != "r-0999.avi.iberia.local." {
		t.Errorf("past the end: page %d with %d items", r.Page, len(r.Items))
	}
	getJSON(t, srv.URL+PathSummary+"?page=1000", &s)
	if r := s.Records; r.Page != 20 || r.Matched != 1000 || len(r.Items) != 50 || r.Items[49].FQDN != "r-0999.avi.iberia.local." {
		t.Errorf("past the end without a query: page %d, %d matched, %d items", r.Page, r.Matched, len(r.Items))
	}
	getJSON(t, srv.URL+PathSummary+"?size=100000", &s)
	if len(s.Records.Items) != maxPageSize {
		t.Errorf("size=100000 gives %d items, want at most %d", len(s.Records.Items), maxPageSize)
	}
	resp, body := get(t, srv.URL+"/status/?q=r-0999")
	if resp.StatusCode != 200 || !strings.Contains(body, "1 of 1000 records match") || strings.Count(body, `<article class="record"`) != 1 {
		t.Errorf("the HTML search: %s", resp.Status)
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, body := get(t, url)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s %s", url, resp.Status, body)
	}
	if err := json.NewDecoder(bytes.NewBufferString(body)).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// numberedTable has n records r-0000… in reverse order, 3 members each.
func numberedTable(n int) fixedTable {
	recs := make([]*gslbv1.Record, n)
	for i := range n {
		recs[n-1-i] = &gslbv1.Record{Fqdn: fmt.Sprintf("r-%04d.avi.iberia.local.", i), Ttl: proto.Uint32(30), Members: []*gslbv1.Member{
			{Address: "192.0.2.1", Weight: 6, Site: "site1", Cluster: "a", Health: gslbv1.Health_HEALTH_UP, HealthReason: "HTTP 200"},
			{Address: "192.0.2.2", Weight: 4, Site: "site1", Cluster: "b", Health: gslbv1.Health_HEALTH_UP, HealthReason: "HTTP 200"},
			{Address: "192.0.2.3", Weight: 2, Site: "site2", Cluster: "c"},
		}}
	}
	return fixedTable{recs: recs, gen: 1}
}

// The record page explains the answer for a typed client, as gslbctl
// explain; a bad address is an error on the page, not a failure.
func TestRecordExplain(t *testing.T) {
	srv := serve(t, Options{Table: helloTable()})
	var d RecordDetail
	getJSON(t, srv.URL+PathDetail+"?name=HELLO.avi.iberia.local&client=192.0.2.1", &d)
	if d.Explain == nil || len(d.Explain.Answer) != 1 || d.Explain.Answer[0].Member != "127.0.0.12" {
		t.Fatalf("explain: %+v", d.Explain)
	}
	resp, body := get(t, srv.URL+PathRecord+"?name=hello.avi.iberia.local.&client=not-an-ip")
	if resp.StatusCode != 200 || !strings.Contains(body, `role="alert"`) || !strings.Contains(body, "not-an-ip") {
		t.Errorf("a bad client: %s", resp.Status)
	}
	if resp, _ := get(t, srv.URL+PathRecord+"?name=nothere.avi.iberia.local."); resp.StatusCode != http.StatusNotFound {
		t.Errorf("no such record: %s, want 404", resp.Status)
	}
}
