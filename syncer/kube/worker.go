package kube

// The worker: the informers' handlers only enqueue keys (an FQDN, or allKey
// for everything); work takes every queued key at once, builds the records
// of those FQDNs (buildPartial) or the whole table (build) from the caches,
// and reports the table when it changed. A build reads the caches and
// cannot fail, so nothing is retried and the queue is not rate-limited
// (the status writer, whose writes can fail, retries with its own backoff).

import (
	"slices"
	"strings"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/health"
	"github.com/gslbdns/gslb/syncer/source"

	"google.golang.org/protobuf/proto"
)

func (s *Source) setFull(res Result) {
	s.resMu.Lock()
	s.builds++
	s.fullRes, s.fullBuilds = res, s.builds
	s.resMu.Unlock()
}

// buildPartial rebuilds the records of fqdns only, from the objects that
// ask for them, and returns the last table with those records replaced.
// Build's record for an FQDN depends only on the objects that ask for it
// (and on policies, host rules, namespaces and cluster states, whose
// changes ask for a full build), so the result is what a full build gives.
func (s *Source) buildPartial(fqdns []string) []health.Record {
	if !s.configSynced() {
		return s.build0()
	}
	ms := s.orderedMembers()
	in := Input{Clusters: make([]ClusterView, len(ms)), Zones: s.opts.Zones}
	for i, m := range ms {
		in.Clusters[i] = m.partialView(fqdns)
	}
	in.Policies, in.HostRules = s.policies()
	in.Drains = s.drains()
	res := Build(in)
	s.resMu.Lock()
	s.builds++
	s.resMu.Unlock()
	s.metrics.partialBuilds.Inc()

	out := mergeRecords(s.last, fqdns, res)
	s.metrics.records.Set(float64(len(out)))
	return out
}

// mergeRecords returns last (sorted by FQDN) with the records of fqdns
// replaced by those res has for them (removed when it has none); the other
// records of res are ignored. last is not modified.
func mergeRecords(last []health.Record, fqdns []string, res Result) []health.Record {
	dirty := make(map[string]bool, len(fqdns))
	for _, f := range fqdns {
		dirty[f] = true
	}
	fresh := map[string]health.Record{}
	for _, r := range res.Records {
		if dirty[r.Record.Fqdn] {
			fresh[r.Record.Fqdn] = r
		}
	}
	out := make([]health.Record, 0, len(last)+len(fresh))
	for _, r := range last {
		f := r.Record.Fqdn
		if !dirty[f] {
			out = append(out, r)
			continue
		}
		if nr, ok := fresh[f]; ok {
			out = append(out, nr)
			delete(fresh, f)
		}
	}
	if len(fresh) > 0 {
		for _, r := range fresh {
			out = append(out, r)
		}
		slices.SortFunc(out, func(a, b health.Record) int { return strings.Compare(a.Record.Fqdn, b.Record.Fqdn) })
	}
	return out
}

func (s *Source) build0() []health.Record {
	recs, _ := s.build()
	return recs
}

// build runs Build on the caches as they are now; before the config
// cluster has synced it returns the seed (see stale.go), nil without one.
func (s *Source) build() ([]health.Record, Result) {
	if !s.configSynced() {
		if s.seed == nil {
			return nil, Result{}
		}
		recs := keptTable(s.seed, s.seedAt)
		s.stale.report(s.log, s.metrics, recs)
		return recs, Result{}
	}
	in := Input{Clusters: s.views(), Zones: s.opts.Zones}
	in.Policies, in.HostRules = s.policies()
	in.Drains = s.drains()
	res := Build(in)
	s.observeBuild(in, res)
	return res.Records, res
}

// observeBuild logs and counts what a full build found.
func (s *Source) observeBuild(in Input, res Result) {
	s.stale.report(s.log, s.metrics, res.Records)
	s.metrics.builds.Inc()
	s.metrics.records.Set(float64(len(res.Records)))
	s.metrics.keptExpired.Set(float64(len(res.KeptExpired)))
	s.resMu.Lock()
	if len(res.KeptExpired) > 0 && len(res.KeptExpired) != s.lastKept {
		s.log.Warn("members of clusters unreachable past the grace period kept: no other member left", "fqdns", len(res.KeptExpired), "first", res.KeptExpired[0])
	}
	s.lastKept = len(res.KeptExpired)
	s.resMu.Unlock()
	unready := map[string]int{}
	for _, r := range res.Records {
		for _, m := range r.Record.Members {
			if m.Health == gslbv1.Health_HEALTH_DOWN && m.Cluster != "" {
				unready[m.Cluster]++
			}
		}
	}
	for _, v := range in.Clusters {
		s.metrics.unready.WithLabelValues(v.Name).Set(float64(unready[v.Name]))
	}
}

func equalTables(a, b []health.Record) bool {
	return slices.EqualFunc(a, b, func(x, y health.Record) bool {
		return proto.Equal(x.Record, y.Record) && slices.EqualFunc(x.Checks, y.Checks, func(c, d *health.Check) bool {
			return (c == nil) == (d == nil) && (c == nil || *c == *d)
		})
	})
}

// work runs the queue until it shuts down; it reports each changed table,
// with the time of the oldest watch event it reflects.
func (s *Source) work(onChange func(source.Change)) {
	for {
		keys, shutdown := s.takeKeys()
		if shutdown {
			return
		}
		first := s.firstEnqueued(keys)
		s.retireConfig()
		var records []health.Record
		switch fqdns, full := splitKeys(keys); {
		case full:
			var res Result
			records, res = s.build()
			s.setFull(res)
		case len(fqdns) > 0:
			records = s.buildPartial(fqdns)
		}
		if records != nil && !equalTables(records, s.last) {
			s.last = records
			onChange(source.Change{Records: records, Since: first})
			s.metrics.latency.Observe(time.Since(first).Seconds())
		}
		s.kickStatus()
		for _, k := range keys {
			s.queue.Done(k)
		}
	}
}

// takeKeys waits for a key and takes every key queued: one build serves them all.
func (s *Source) takeKeys() ([]string, bool) {
	key, shutdown := s.queue.Get()
	if shutdown {
		return nil, true
	}
	keys := []string{key}
	for s.queue.Len() > 0 {
		k, sd := s.queue.Get()
		if sd {
			break
		}
		keys = append(keys, k)
	}
	s.metrics.queueDepth.Set(float64(s.queue.Len()))
	return keys, false
}

// firstEnqueued returns when the earliest of keys was enqueued (now when
// none is known), and forgets them.
func (s *Source) firstEnqueued(keys []string) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	var first time.Time
	for _, k := range keys {
		if t, ok := s.firstEvent[k]; ok && (first.IsZero() || t.Before(first)) {
			first = t
		}
		delete(s.firstEvent, k)
	}
	if first.IsZero() {
		first = time.Now()
	}
	return first
}

// splitKeys returns the FQDNs among keys, and whether allKey is one.
func splitKeys(keys []string) (fqdns []string, full bool) {
	for _, k := range keys {
		if k == allKey {
			full = true
		} else {
			fqdns = append(fqdns, k)
		}
	}
	return fqdns, full
}
