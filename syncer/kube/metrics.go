package kube

import (
	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	clusterUp     *prometheus.GaugeVec
	objects       *prometheus.GaugeVec
	queueDepth    prometheus.Gauge
	latency       prometheus.Histogram
	keptExpired   prometheus.Gauge
	builds        prometheus.Counter
	partialBuilds prometheus.Counter
	records       prometheus.Gauge
	unready       *prometheus.GaugeVec
	stale         *prometheus.GaugeVec
	staleSince    *prometheus.GaugeVec
	statusWriter  prometheus.Gauge
	kindWatched   *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := &metrics{
		clusterUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "gslb_syncer_kube_cluster_up",
			Help: "1 when the member cluster answers and its watches are synced, 0 when it is unreachable."}, []string{"cluster"}),
		objects: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "gslb_syncer_kube_objects",
			Help: "Objects in the syncer's caches of a member cluster, by kind."}, []string{"cluster", "kind"}),
		queueDepth: prometheus.NewGauge(prometheus.GaugeOpts{Name: "gslb_syncer_kube_queue_depth",
			Help: "FQDNs waiting in the work queue."}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "gslb_syncer_kube_event_to_push_seconds",
			Help:    "From a watch event to the new table handed to the pushers.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}),
		keptExpired: prometheus.NewGauge(prometheus.GaugeOpts{Name: "gslb_syncer_kube_kept_expired_fqdns",
			Help: "FQDNs served by members of clusters unreachable past the grace period, because no other member is left."}),
		builds: prometheus.NewCounter(prometheus.CounterOpts{Name: "gslb_syncer_kube_builds_total",
			Help: "Full builds of the table from the caches (policy, host rule, namespace or cluster changes)."}),
		partialBuilds: prometheus.NewCounter(prometheus.CounterOpts{Name: "gslb_syncer_kube_partial_builds_total",
			Help: "Builds of the records of the changed FQDNs only."}),
		records: prometheus.NewGauge(prometheus.GaugeOpts{Name: "gslb_syncer_kube_records",
			Help: "Records in the last table built."}),
		unready: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "gslb_syncer_kube_unready_members",
			Help: "Members of a cluster whose backend Services have no ready endpoint (served down)."}, []string{"cluster"}),
		stale: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "gslb_syncer_kube_stale",
			Help: "What is kept without being seen now, by owner: records while the config cluster (owner=\"config\") has not synced since the start, members of a member cluster (owner=<cluster>) unreachable or not synced yet."}, []string{"owner"}),
		staleSince: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "gslb_syncer_kube_stale_since_timestamp_seconds",
			Help: "When the owner of what is kept stale was last seen (Unix time)."}, []string{"owner"}),
		statusWriter: prometheus.NewGauge(prometheus.GaugeOpts{Name: "gslb_syncer_kube_status_writer",
			Help: "1 when this syncer writes the policies' status and Events on the config cluster (it holds the Lease, or no lease= is configured), 0 when another syncer does."}),
		kindWatched: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "gslb_syncer_kube_kind_watched",
			Help: "Optional kinds of a member cluster (Gateway, HTTPRoute, GRPCRoute, TLSRoute, TCPRoute, UDPRoute, Route): 1 watched, 0 not served by the cluster (CRD not installed), looked for again at every probe."}, []string{"cluster", "kind"}),
	}
	reg.MustRegister(m.kindWatched, m.clusterUp, m.objects, m.queueDepth, m.latency, m.keptExpired, m.builds, m.partialBuilds, m.records, m.unready,
		m.stale, m.staleSince, m.statusWriter)
	return m
}
