package statuspage

// The syncer's own state: probe role and leader, member clusters (from its
// metrics registry), the plugins pushed to.

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// syncStateCache keeps what fromMetrics read for a few seconds: gathering
// the whole registry costs with many probed targets (their series), and
// the role and the clusters change seldom.
type syncStateCache struct {
	mu       sync.Mutex
	at       time.Time
	probes   ProbeState
	clusters []ClusterState
}

const syncStateTTL = 2 * time.Second

func (c *syncStateCache) get(g prometheus.Gatherer, now time.Time) (ProbeState, []ClusterState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at.IsZero() || now.Sub(c.at) >= syncStateTTL || now.Before(c.at) {
		c.probes, c.clusters = fromMetrics(g)
		c.at = now
	}
	return c.probes, slices.Clone(c.clusters)
}

// fromMetrics reads the probe role and the member clusters from the
// syncer's registry. Without --health-listen there is no role series: the
// syncer probes alone.
func fromMetrics(g prometheus.Gatherer) (ProbeState, []ClusterState) {
	p := ProbeState{Role: "alone"}
	clusters := []ClusterState{}
	if g == nil {
		return p, clusters
	}
	mfs, _ := g.Gather() // a failing collector spoils only its own families
	for _, mf := range mfs {
		switch mf.GetName() {
		case "gslb_syncer_probe_role":
			for _, m := range mf.GetMetric() {
				if m.GetGauge().GetValue() == 1 {
					p.Shared, p.Role = true, label(m, "role")
				}
			}
		case "gslb_syncer_probe_leader":
			for _, m := range mf.GetMetric() {
				if m.GetGauge().GetValue() == 1 {
					p.Leader, p.Self = label(m, "leader"), label(m, "self") == "true"
				}
			}
		case "gslb_syncer_kube_cluster_up":
			for _, m := range mf.GetMetric() {
				clusters = append(clusters, ClusterState{Cluster: label(m, "cluster"), Up: m.GetGauge().GetValue() == 1})
			}
		}
	}
	slices.SortFunc(clusters, func(a, b ClusterState) int { return strings.Compare(a.Cluster, b.Cluster) })
	return p, clusters
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// targets reads the plugins' sync state.
func targets(ts []Target) []TargetState {
	out := make([]TargetState, len(ts))
	for i, t := range ts {
		s := t.Stats()
		out[i] = TargetState{
			Target: s.Target, AckedVersion: s.AckedVersion, AckedGeneration: s.AckedGeneration,
			DesiredGeneration: s.DesiredGeneration, AckedAt: s.AckedAt, AckedRecords: s.AckedRecords,
			Synced: s.AckedVersion != 0 && s.AckedGeneration == s.DesiredGeneration,
		}
		if s.LastError != nil {
			out[i].LastError = s.LastError.Error()
		}
	}
	return out
}
