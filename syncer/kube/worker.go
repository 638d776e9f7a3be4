package kube

// The worker: the informers' handlers only enqueue keys (an FQDN, a
// reference to a changed route, Gateway or route backend that the worker
// resolves into FQDNs (routedirty.go), or allKey for everything); work
// takes every queued key at once, builds the records of those FQDNs
// (buildPartial, partial.go) or the whole table (build) from the caches,
// reports the table when it changed, and hands the result (the policies'
// status part) to the status writer.
//
// A build cannot fail, so nothing is retried and the queue is a plain one,
// not rate-limited (client-go's AddRateLimited is for work that can fail):
// it reads the informers' in-memory caches, with no call to an apiserver;
// Build is a pure function with no error; what is wrong in an object or a
// policy is a result (a member down with the reason, a policy not
// Accepted), not an error; and the table goes to onChange, which takes it
// whole and returns nothing. What can fail downstream retries on its own:
// the pushers (push/backoff.go) and the status writes (statuswriter.go).

import (
	"slices"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/kube/table"
	"github.com/gslbdns/gslb/syncer/source"

	"google.golang.org/protobuf/proto"
)

// setBuilt hands res, the result of a full build or one merged from a
// partial build, to the status writer.
func (s *Source) setBuilt(res table.Result) {
	s.resMu.Lock()
	s.built = res
	s.resMu.Unlock()
}

// lastBuilt is the result last handed to the status writer.
func (s *Source) lastBuilt() table.Result {
	s.resMu.Lock()
	defer s.resMu.Unlock()
	return s.built
}

// build runs Build on the caches as they are now; before the config
// cluster has synced it returns the seed (see table/stale.go), nil without one.
func (s *Source) build() ([]*gslbv1.Record, table.Result) {
	if !s.configSynced() {
		if s.seed == nil {
			return nil, table.Result{}
		}
		recs := table.KeptTable(s.seed, s.seedAt)
		s.stale.report(s.log, s.metrics, recs)
		return recs, table.Result{}
	}
	ms := s.orderedMembers()
	in := table.Input{Clusters: viewsOf(ms), Zones: s.opts.Zones}
	in.Policies, in.HostRules = s.policies()
	in.Drains = s.drains()
	res := table.Build(in)
	publishViews(ms, in.Clusters, true, nil)
	s.observeBuild(in, res)
	return res.Records, res
}

// observeBuild logs and counts what a full build found.
func (s *Source) observeBuild(in table.Input, res table.Result) {
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
		for _, m := range r.Members {
			if m.Health == gslbv1.Health_HEALTH_DOWN && m.Cluster != "" {
				unready[m.Cluster]++
			}
		}
	}
	for _, v := range in.Clusters {
		s.metrics.unready.WithLabelValues(v.Name).Set(float64(unready[v.Name]))
	}
}

// equalTables tells whether two tables are equal, the members' checks
// included.
func equalTables(a, b []*gslbv1.Record) bool {
	return slices.EqualFunc(a, b, func(x, y *gslbv1.Record) bool { return proto.Equal(x, y) })
}

// work runs the queue until it shuts down; it reports each changed table,
// with the time of the oldest watch event it reflects.
func (s *Source) work(onChange func(source.Change)) {
	for {
		keys, ok := s.queue.take()
		if !ok {
			return
		}
		s.metrics.queueDepth.Set(float64(s.queue.len()))
		first := s.queue.firstEnqueued(keys)
		s.retireConfig()
		var records []*gslbv1.Record
		result := s.lastBuilt
		fqdns, refs, full := splitKeys(keys)
		if !full {
			fqdns = s.dirty(fqdns, refs)
		}
		switch {
		case full:
			var res table.Result
			records, res = s.build()
			result = func() table.Result { return res }
		case len(fqdns) > 0:
			records, result = s.buildPartial(fqdns)
		}
		if records != nil && !equalTables(records, s.last) {
			s.last = records
			onChange(source.Change{Records: records, Since: first})
			s.metrics.latency.Observe(time.Since(first).Seconds())
		}
		s.setBuilt(result())
		s.plane.kickStatus()
		s.queue.done(keys)
	}
}

// dirty is the FQDNs to rebuild: fqdns and those the references refs
// concern (routedirty.go), sorted, unique.
func (s *Source) dirty(fqdns []string, refs []objectRef) []string {
	out := append(slices.Clone(fqdns), dirtyFQDNs(s.orderedMembers(), refs)...)
	slices.Sort(out)
	return slices.Compact(out)
}
