package delegation

import "github.com/prometheus/client_golang/prometheus"

// runnerMetrics are a Runner's series, each output's shown from the start.
type runnerMetrics struct {
	registered *prometheus.GaugeVec
	changes    *prometheus.CounterVec
	errors     *prometheus.CounterVec
}

func newRunnerMetrics(reg prometheus.Registerer, ready *Readiness, outs []*output) *runnerMetrics {
	m := &runnerMetrics{
		registered: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gslb_syncer_delegation_registered",
			Help: "1 while this site's NS is in the parent (by output: rfc2136 or dnsendpoint), as last checked; 0 once withdrawn or before the first check.",
		}, []string{"output"}),
		changes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gslb_syncer_delegation_changes_total",
			Help: "Updates of the parent that changed it, by output and action (register, withdraw).",
		}, []string{"output", "action"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gslb_syncer_delegation_errors_total",
			Help: "Failed checks or updates of the parent, by output and reason (badsig, badkey, badtime, refused, notauth, conflict, rcode, unreachable, not_served, readback, forbidden, kubernetes, other).",
		}, []string{"output", "reason"}),
	}
	readyGauge := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "gslb_syncer_delegation_ready",
		Help: "1 while this site's DNS is ready for the delegation, as last checked: a plugin this syncer pushes to serves a table with records, or the site's name server addresses answer the zone's SOA from a table.",
	}, func() float64 { return b2f(ready.Last() != NotReady) })
	for _, o := range outs {
		m.registered.WithLabelValues(o.name)
		for _, a := range []Action{Register, Withdraw} {
			m.changes.WithLabelValues(o.name, a.String())
		}
		for _, r := range Reasons {
			m.errors.WithLabelValues(o.name, r)
		}
	}
	if reg != nil {
		reg.MustRegister(m.registered, m.changes, m.errors, readyGauge)
	}
	return m
}

// step records one Keeper step of an output.
func (m *runnerMetrics) step(out string, e Event, reason string) {
	if reason != "" {
		m.errors.WithLabelValues(out, reason).Inc()
		return
	}
	if e.Changed {
		m.changes.WithLabelValues(out, e.Action.String()).Inc()
	}
	// Done, or a withdrawal held back (the NS stays): the parent now agrees.
	m.registered.WithLabelValues(out).Set(b2f(e.Action == Register || e.Err != nil))
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
