package health

import (
	"strconv"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/prometheus/client_golang/prometheus"
)

// probedTypes are the types that are probed, and so have series.
var probedTypes = [...]Type{TypeHTTP, TypeHTTPS, TypeTCP}

// metrics are a Prober's instruments. The counters and the histogram are
// updated as probes complete; the per-target series are made at scrape time
// by collector, from the Prober's state.
type metrics struct {
	probesOK, probesFail [len(typeNames)]prometheus.Counter  // by Type
	duration             [len(typeNames)]prometheus.Observer // by Type
	toUp, toDown         prometheus.Counter
}

func newMetrics(reg prometheus.Registerer, p *Prober) *metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	probes := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gslb_syncer_health_probes_total",
		Help: "Probes completed, by type and result (ok or fail).",
	}, []string{"type", "result"})
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "gslb_syncer_health_probe_duration_seconds",
		Help:    "How long a probe took, connection and answer, by type.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"type"})
	transitions := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gslb_syncer_health_transitions_total",
		Help: "Changes of a target's health, by the health it went to (up or down).",
	}, []string{"to"})
	m := &metrics{toUp: transitions.WithLabelValues("up"), toDown: transitions.WithLabelValues("down")}
	// Resolved once: the probes do no label lookup, and every series
	// exists (at 0) from the start.
	for _, t := range probedTypes {
		m.probesOK[t] = probes.WithLabelValues(t.String(), "ok")
		m.probesFail[t] = probes.WithLabelValues(t.String(), "fail")
		m.duration[t] = duration.WithLabelValues(t.String())
	}
	reg.MustRegister(probes, duration, transitions, newCollector(p))
	return m
}

// observeProbe counts one probe of type t that took seconds.
func (m *metrics) observeProbe(t Type, ok bool, seconds float64) {
	if int(t) >= len(m.duration) || m.duration[t] == nil {
		return
	}
	if ok {
		m.probesOK[t].Inc()
	} else {
		m.probesFail[t].Inc()
	}
	m.duration[t].Observe(seconds)
}

// observeTransition counts a change of health to h.
func (m *metrics) observeTransition(h gslbv1.Health) {
	switch h {
	case gslbv1.Health_HEALTH_UP:
		m.toUp.Inc()
	case gslbv1.Health_HEALTH_DOWN:
		m.toDown.Inc()
	}
}

// collector makes the series that follow the targets: their count by type,
// and the health of each. It reads the Prober's state at scrape time, so
// that nothing has to be kept in step as targets come and go, and a target
// removed by Update simply has no series at the next scrape. The Prober's
// lock is held only to copy the states (a few hundred microseconds for
// 10,000 targets); the series are made after.
type collector struct {
	p                 *Prober
	targets, up, info *prometheus.Desc
}

func newCollector(p *Prober) *collector {
	labels := []string{"address", "port", "type"}
	return &collector{
		p: p,
		targets: prometheus.NewDesc("gslb_syncer_health_targets",
			"Targets probed (a member address with a check), by type.", []string{"type"}, nil),
		up: prometheus.NewDesc("gslb_syncer_health_target_up",
			"1 when the target is up, 0 when it is down; absent while its health is unknown.", labels, nil),
		info: prometheus.NewDesc("gslb_syncer_health_target_info",
			"Always 1: the target's health (up, down, unknown) and the reason of its last transition.",
			append(labels, "health", "reason"), nil),
	}
}

// Describe implements prometheus.Collector.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.targets
	ch <- c.up
	ch <- c.info
}

// targetState is a copy of what a scrape needs of a target.
type targetState struct {
	address string
	port    uint16
	typ     Type
	health  gslbv1.Health
	reason  string
}

// seriesKey is what the per-target series are labelled with. Two targets
// differ in more (the path or Host of an HTTP check) only when two records
// probe one address and port differently; such targets share a series,
// which shows the worst of them (down, then up, then unknown).
type seriesKey struct {
	address string
	port    uint16
	typ     Type
}

// Collect implements prometheus.Collector.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	p := c.p
	p.mu.Lock()
	states := make([]targetState, 0, len(p.targets))
	for key, t := range p.targets {
		states = append(states, targetState{key.Address, key.Check.Port, key.Check.Type, t.st.health, t.st.reason})
	}
	p.mu.Unlock()

	var byType [len(typeNames)]int
	chosen := make(map[seriesKey]int, len(states)) // index in states
	for i, s := range states {
		if int(s.typ) < len(byType) {
			byType[s.typ]++
		}
		k := seriesKey{s.address, s.port, s.typ}
		if j, ok := chosen[k]; !ok || worse(s.health, states[j].health) {
			chosen[k] = i
		}
	}
	for _, t := range probedTypes {
		ch <- prometheus.MustNewConstMetric(c.targets, prometheus.GaugeValue, float64(byType[t]), t.String())
	}
	for _, i := range chosen {
		s := &states[i]
		port, typ := strconv.Itoa(int(s.port)), s.typ.String()
		switch s.health {
		case gslbv1.Health_HEALTH_UP:
			ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1, s.address, port, typ)
		case gslbv1.Health_HEALTH_DOWN:
			ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0, s.address, port, typ)
		}
		ch <- prometheus.MustNewConstMetric(c.info, prometheus.GaugeValue, 1, s.address, port, typ, healthName(s.health), s.reason)
	}
}

// worse reports whether health a is worse than b: down, then up, then unknown.
func worse(a, b gslbv1.Health) bool {
	rank := func(h gslbv1.Health) int {
		switch h {
		case gslbv1.Health_HEALTH_DOWN:
			return 0
		case gslbv1.Health_HEALTH_UP:
			return 1
		default:
			return 2
		}
	}
	return rank(a) < rank(b)
}
