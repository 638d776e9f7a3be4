package kube

import (
	"testing"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
)

// countStale attributes stale records to the config cluster and stale
// members to their cluster.
func TestCountStale(t *testing.T) {
	recs := []*gslbv1.Record{
		{Fqdn: "a.example.", Stale: &gslbv1.Stale{SinceUnixNano: 3}, Members: []*gslbv1.Member{{Address: "192.0.2.1"}}},
		{Fqdn: "b.example.", Stale: &gslbv1.Stale{SinceUnixNano: 4}, Members: []*gslbv1.Member{{Address: "192.0.2.2"}}},
		{Fqdn: "c.example.", Members: []*gslbv1.Member{
			{Address: "192.0.2.3", Cluster: "s2", Stale: &gslbv1.Stale{SinceUnixNano: 5}},
			{Address: "192.0.2.4", Cluster: "s1"},
		}},
	}
	c := countStale(recs)
	if c["config"].n != 2 || c["config"].since != 3 || c["s2"].n != 1 || c["s2"].since != 5 || len(c) != 2 {
		t.Errorf("countStale %+v", c)
	}
}
