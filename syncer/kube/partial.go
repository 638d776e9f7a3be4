package kube

// A partial build: after a change of objects, the worker builds the records
// of the FQDNs those objects ask for from the members' partial views
// (views.go); table.MergeRecords and table.MergeResult merge them into the
// last table and result (table/partial.go).

import (
	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/kube/table"
)

// buildPartial rebuilds the records of fqdns only, from the objects that
// ask for them, and returns the last table with those records replaced,
// and a function that returns the last result with what it says of those
// FQDNs replaced (the status's input: called once the table is handed
// on, off the propagation path).
// Build's record for an FQDN depends only on the objects that ask for it
// (and on policies, host rules, namespaces and cluster states, whose
// changes ask for a full build), so the result is what a full build gives.
// Before a full build of the synced caches it runs one.
func (s *Source) buildPartial(fqdns []string) ([]*gslbv1.Record, func() table.Result) {
	prev := s.lastBuilt()
	if !s.configSynced() || prev.Policies == nil { // nil: the last result is the seed's
		records, res := s.build()
		return records, func() table.Result { return res }
	}
	ms := s.orderedMembers()
	in := table.Input{Clusters: make([]table.ClusterView, len(ms)), Zones: s.opts.Zones}
	for i, m := range ms {
		in.Clusters[i] = m.partialView(fqdns)
	}
	publishViews(ms, in.Clusters, false, fqdns)
	in.Policies, in.HostRules = s.policies()
	in.Drains = s.drains()
	part := table.Build(in)
	s.metrics.partialBuilds.Inc()

	out := table.MergeRecords(s.last, fqdns, part)
	s.metrics.records.Set(float64(len(out)))
	return out, func() table.Result { return table.MergeResult(prev, fqdns, part, out, in.Clusters) }
}
