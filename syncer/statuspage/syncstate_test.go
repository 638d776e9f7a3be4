package statuspage

import (
	"errors"
	"strings"
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/delegation"
	"github.com/gslbdns/gslb/syncer/push"

	"github.com/prometheus/client_golang/prometheus"
)

type fixedTarget push.Stats

func (t fixedTarget) Stats() push.Stats { return push.Stats(t) }

// The probe role and leader, the member clusters, the plugins and the
// delegation, as the summary and the page show them; a stale member.
func TestSyncState(t *testing.T) {
	reg := prometheus.NewRegistry()
	role := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "gslb_syncer_probe_role"}, []string{"role"})
	leader := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "gslb_syncer_probe_leader"}, []string{"leader", "self"})
	up := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "gslb_syncer_kube_cluster_up"}, []string{"cluster"})
	reg.MustRegister(role, leader, up)
	role.WithLabelValues("leader").Set(0)
	role.WithLabelValues("follower").Set(1)
	leader.WithLabelValues("10.0.0.7:9155", "false").Set(1)
	up.WithLabelValues("s2").Set(0)
	up.WithLabelValues("s1az1").Set(1)

	tab := helloTable()
	tab.recs[0].Members[0].Stale = &gslbv1.Stale{SinceUnixNano: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC).UnixNano(), Reason: "cluster s9 unreachable"}
	srv := serve(t, Options{Table: tab, Metrics: reg,
		Targets: []Target{
			fixedTarget{Target: "unix:///run/gslb/gslb.sock", AckedVersion: 7, AckedGeneration: 3, DesiredGeneration: 3, AckedRecords: 2},
			fixedTarget{Target: "tcp://10.0.0.8:9000", DesiredGeneration: 3, LastError: errors.New("connection refused")},
		},
		Delegation: func() *delegation.Status {
			return &delegation.Status{Outputs: []delegation.OutputStatus{{Output: "rfc2136", Zone: "avi.iberia.local.", NS: "g-dns.iberia.local.", State: "registered"}}}
		},
	})
	var s Summary
	getJSON(t, srv.URL+PathSummary, &s)
	if s.Probes != (ProbeState{Shared: true, Role: "follower", Leader: "10.0.0.7:9155"}) {
		t.Errorf("probes %+v", s.Probes)
	}
	if len(s.Clusters) != 2 || s.Clusters[0] != (ClusterState{"s1az1", true}) || s.Clusters[1] != (ClusterState{"s2", false}) {
		t.Errorf("clusters %+v", s.Clusters)
	}
	if len(s.Targets) != 2 || !s.Targets[0].Synced || s.Targets[1].Synced || s.Targets[1].LastError != "connection refused" {
		t.Errorf("targets %+v", s.Targets)
	}
	if s.Delegation == nil || s.Delegation.Outputs[0].State != "registered" {
		t.Errorf("delegation %+v", s.Delegation)
	}
	_, body := get(t, srv.URL+"/status/")
	for _, want := range []string{`data-role="follower"`, "10.0.0.7:9155", "✖ unreachable", "✖ connection refused", "registered",
		"⌛ stale since Dec 7 09:00:00 UTC"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}
