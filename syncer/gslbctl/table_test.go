package gslbctl

import (
	"strings"
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
)

// PrintTable says what the syncer keeps stale, since when and why, under the
// record or the member.
func TestPrintTableStale(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	since := now.Add(-3 * time.Minute)
	st := &gslbv1.StatusResponse{Version: 7, Records: 1, UpdatedUnixNano: now.UnixNano(), Zones: []string{"example."}}
	recs := []*gslbv1.Record{{
		Fqdn:  "a.example.",
		Stale: &gslbv1.Stale{SinceUnixNano: since.UnixNano(), Reason: "config cluster not synced"},
		Members: []*gslbv1.Member{
			{Address: "192.0.2.1", Weight: 1, Cluster: "s1", Check: &gslbv1.HealthCheck{Type: gslbv1.CheckType_CHECK_TYPE_HTTP, Method: "GET", Path: "/healthz",
				Port: 8080, IntervalMs: 2000, TimeoutMs: 1000, Rise: 2, Fall: 3}},
			{Address: "192.0.2.2", Weight: 1, Cluster: "s2", Stale: &gslbv1.Stale{SinceUnixNano: since.UnixNano(), Reason: "cluster s2 unreachable"}},
		},
	}}
	var b strings.Builder
	if err := PrintTable(&b, st, recs, "text", now); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"a.example. ttl default, wrr (default), down response all (default)\n  stale since 2026-01-01T11:57:00Z (3m0s ago): config cluster not synced\n  MEMBER",
		"192.0.2.1                    s1         -             1        0 unknown  \n    probed: http GET /healthz on port 8080 every 2s (timeout 1s, rise 2, fall 3)\n",
		"192.0.2.2                    s2         -             1        0 unknown  \n    stale since 2026-01-01T11:57:00Z (3m0s ago): cluster s2 unreachable\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "stale since") != 2 {
		t.Errorf("want two stale lines:\n%s", out)
	}
}
