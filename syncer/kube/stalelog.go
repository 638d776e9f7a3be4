package kube

import (
	"log/slog"
	"sync"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
)

// staleLog reports what is kept without being seen, by owner ("config",
// or a member cluster's name): in the log when it starts, changes since or
// ends, and in the metrics at every full build.
type staleLog struct {
	mu   sync.Mutex
	last map[string]staleCount
}

// staleCount is what one source has kept stale.
type staleCount struct {
	n      int // records (config) or members (a cluster)
	since  int64
	reason string
}

func countStale(recs []*gslbv1.Record) map[string]staleCount {
	out := map[string]staleCount{}
	add := func(src string, st *gslbv1.Stale) {
		c := out[src]
		if c.n == 0 || st.SinceUnixNano < c.since {
			c.since, c.reason = st.SinceUnixNano, st.Reason
		}
		c.n++
		out[src] = c
	}
	for _, r := range recs {
		if st := r.GetStale(); st != nil {
			add("config", st)
			continue // its members are kept with it
		}
		for _, m := range r.Members {
			if st := m.GetStale(); st != nil {
				add(m.Cluster, st)
			}
		}
	}
	return out
}

func (l *staleLog) report(log *slog.Logger, m *metrics, recs []*gslbv1.Record) {
	now := countStale(recs)
	l.mu.Lock()
	defer l.mu.Unlock()
	m.stale.Reset()
	m.staleSince.Reset()
	for src, c := range now {
		m.stale.WithLabelValues(src).Set(float64(c.n))
		m.staleSince.WithLabelValues(src).Set(float64(c.since) / 1e9)
		if old, ok := l.last[src]; !ok || old.since != c.since || old.reason != c.reason {
			what := "members"
			if src == "config" {
				what = "records"
			}
			log.Warn("keeping what the syncer cannot see now", "owner", src, what, c.n,
				"since", time.Unix(0, c.since).UTC().Format(time.RFC3339), "reason", c.reason)
		}
	}
	for src := range l.last {
		if _, ok := now[src]; !ok {
			logStaleEnd(log, src, recs)
		}
	}
	l.last = now
}
