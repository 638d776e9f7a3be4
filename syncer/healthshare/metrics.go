package healthshare

import "github.com/prometheus/client_golang/prometheus"

// metrics is gslb_syncer_probe_role: 1 for the role this syncer has, 0 for
// the others; and gslb_syncer_probe_leader: 1 for the probe leader the
// election names (what gslbctl probes shows).
type metrics struct {
	role   *prometheus.GaugeVec
	leader *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{role: prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "gslb_syncer_probe_role",
		Help: "1 for this syncer's role in its site's probes: leader (probes, shares), follower (takes the leader's health), alone (probes without a leader), waiting (for a leader's stream).",
	}, []string{"role"}), leader: prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "gslb_syncer_probe_leader",
		Help: "1 for the site's probe leader as the probe Lease last named it (its HOST:PORT; no series when none is known), and whether it is this syncer.",
	}, []string{"leader", "self"})}
	for _, n := range roleNames {
		m.role.WithLabelValues(n).Set(0)
	}
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	reg.MustRegister(m.role, m.leader)
	return m
}

func (m *metrics) set(r Role) {
	for i, n := range roleNames {
		v := 0.0
		if Role(i) == r {
			v = 1
		}
		m.role.WithLabelValues(n).Set(v)
	}
}

// setLeader makes addr the one leader series ("" for none).
func (m *metrics) setLeader(addr string, self bool) {
	m.leader.Reset()
	if addr == "" {
		return
	}
	s := "false"
	if self {
		s = "true"
	}
	m.leader.WithLabelValues(addr, s).Set(1)
}
