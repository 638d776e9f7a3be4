package gslb

import (
	"sync"
	"sync/atomic"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"

	"github.com/coredns/coredns/plugin"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are kept in plain atomic counters on the hot path (a query adds one
// to a counter it already holds a pointer to) and turned into Prometheus
// metrics only when scraped, by feedMetrics, a prometheus.Collector. Per-member
// series follow the table: a member that leaves the table leaves /metrics.

// Query types counted by zoneStats.
var qtypeNames = [...]string{"A", "AAAA", "CNAME", "SOA", "NS", "ANY", "other"}

// outcome is what became of a query: the result label of
// coredns_gslb_requests_total.
type outcome uint8

const (
	resAnswer outcome = iota
	resNoData
	resNXDomain
	resDown
	resNotReady
	resRefused
	resDropped
	resFallthrough
	resFormErr // a malformed query: two OPT records, an OPT not at the root, a malformed ECS option
	numResults
)

// resServfail is fill's outcome when the down response is SERVFAIL; it is
// counted as resDown, never under a label of its own.
const resServfail = numResults

var outcomeLabels = [numResults]string{"answer", "nodata", "nxdomain", "down", "notready", "refused", "dropped", "fallthrough", "formerr"}

// label is the outcome's value of the result label.
func (o outcome) label() string {
	if o == resServfail {
		return outcomeLabels[resDown]
	}
	return outcomeLabels[o]
}

const numQtypes = len(qtypeNames)

func qtypeIndex(t uint16) int {
	switch t {
	case 1: // A
		return 0
	case 28: // AAAA
		return 1
	case 5: // CNAME
		return 2
	case 6: // SOA
		return 3
	case 2: // NS
		return 4
	case 255: // ANY
		return 5
	}
	return 6
}

// zoneStats counts the requests of one zone by query type and result.
type zoneStats struct {
	counts [numQtypes][numResults]atomic.Uint64
}

func (s *zoneStats) inc(qt int, res outcome) {
	if res == resServfail {
		res = resDown
	}
	s.counts[qt][res].Add(1)
}

var (
	descRequests = prometheus.NewDesc(plugin.Namespace+"_gslb_requests_total",
		"Queries answered by gslb, by zone, query type and result.", []string{"zone", "type", "result"}, nil)
	descAnswers = prometheus.NewDesc(plugin.Namespace+"_gslb_answers_total",
		"Answers given with each member of each record: the observed split.", []string{"fqdn", "member", "cluster", "site"}, nil)
	descWeight = prometheus.NewDesc(plugin.Namespace+"_gslb_member_weight",
		"Configured weight of each member: the intended split.", []string{"fqdn", "member", "cluster", "site"}, nil)
	descHealthy = prometheus.NewDesc(plugin.Namespace+"_gslb_member_healthy",
		"1 when the member may be answered (not known to be down), else 0.", []string{"fqdn", "member", "cluster", "site"}, nil)
	descVersion = prometheus.NewDesc(plugin.Namespace+"_gslb_table_version",
		"Version of the table served (the SOA serial); 0 until one is loaded.", nil, nil)
	descRecords = prometheus.NewDesc(plugin.Namespace+"_gslb_table_records",
		"Records in the table served.", nil, nil)
	descUpdated = prometheus.NewDesc(plugin.Namespace+"_gslb_table_last_update_timestamp_seconds",
		"Unix time of the last change of the table.", nil, nil)
	descAge = prometheus.NewDesc(plugin.Namespace+"_gslb_table_age_seconds",
		"Seconds since the last change of the table.", nil, nil)
	descPushes = prometheus.NewDesc(plugin.Namespace+"_gslb_pushes_total",
		"Table pushes received over gRPC, by kind (KIND_FULL, KIND_DELTA) and result (applied, invalid, conflict).",
		[]string{"kind", "result"}, nil)
)

// feedMetrics collects the metrics of one feed.
type feedMetrics struct {
	f      *feed
	mu     sync.Mutex
	pushes map[[2]string]uint64
	// quiet counts the started server blocks that turned the per-member
	// series off (member_metrics off); they are collected while it is 0.
	quiet atomic.Int32
}

func newFeedMetrics(f *feed) *feedMetrics {
	return &feedMetrics{f: f, pushes: map[[2]string]uint64{}}
}

func (m *feedMetrics) applied(kind string) {
	m.mu.Lock()
	m.pushes[[2]string{kind, "applied"}]++
	m.mu.Unlock()
}

func (m *feedMetrics) rejected(kind string, err error) {
	result := "invalid"
	if ae, ok := err.(*applyError); ok && ae.kind == errConflict {
		result = "conflict"
	}
	m.mu.Lock()
	m.pushes[[2]string{kind, result}]++
	m.mu.Unlock()
}

// quietMembers counts a server block that starts (delta 1) or stops (-1)
// with member_metrics off. Off wins: while any started block of the feed has
// it off, the per-member series are not collected. Counting, rather than a
// flag, keeps this right across a reload, where the new blocks start before
// the old ones stop.
func (m *feedMetrics) quietMembers(off bool, delta int32) {
	if off {
		m.quiet.Add(delta)
	}
}

// Describe sends nothing: the collector is unchecked, so several feeds (one
// per listen address) can be registered side by side.
func (m *feedMetrics) Describe(chan<- *prometheus.Desc) {}

// Collect implements prometheus.Collector.
func (m *feedMetrics) Collect(ch chan<- prometheus.Metric) {
	f := m.f
	f.mu.Lock()
	for zone, s := range f.stats {
		for qt := range numQtypes {
			for res := range numResults {
				if v := s.counts[qt][res].Load(); v > 0 {
					ch <- prometheus.MustNewConstMetric(descRequests, prometheus.CounterValue, float64(v), zone, qtypeNames[qt], res.label())
				}
			}
		}
	}
	f.mu.Unlock()

	m.mu.Lock()
	for k, v := range m.pushes {
		ch <- prometheus.MustNewConstMetric(descPushes, prometheus.CounterValue, float64(v), k[0], k[1])
	}
	m.mu.Unlock()

	t := f.table.Load()
	if t == nil {
		ch <- prometheus.MustNewConstMetric(descVersion, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(descVersion, prometheus.GaugeValue, float64(t.version))
	ch <- prometheus.MustNewConstMetric(descRecords, prometheus.GaugeValue, float64(t.count))
	ch <- prometheus.MustNewConstMetric(descUpdated, prometheus.GaugeValue, float64(t.updated.UnixNano())/1e9)
	ch <- prometheus.MustNewConstMetric(descAge, prometheus.GaugeValue, f.now().Sub(t.updated).Seconds())
	if m.quiet.Load() > 0 {
		return
	}
	t.each(func(r *Record) {
		for i, s := range r.members {
			mem := r.src.GetMembers()[i]
			healthy := 1.0
			if mem.GetHealth() == gslbv1.Health_HEALTH_DOWN {
				healthy = 0
			}
			ch <- prometheus.MustNewConstMetric(descAnswers, prometheus.CounterValue, float64(s.answers.Load()), r.name, s.key, s.cluster, s.site)
			ch <- prometheus.MustNewConstMetric(descWeight, prometheus.GaugeValue, float64(mem.GetWeight()), r.name, s.key, s.cluster, s.site)
			ch <- prometheus.MustNewConstMetric(descHealthy, prometheus.GaugeValue, healthy, r.name, s.key, s.cluster, s.site)
		}
	})
}
