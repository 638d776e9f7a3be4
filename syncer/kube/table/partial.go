package table

// A partial build: after a change of objects, only the records of the
// FQDNs those objects ask for are built again, and merged into the last
// table; the status part of the result (the policies' FQDNs, conflicts and
// per-cluster counts) is merged in the same way, so that the status writer
// always has what a full build would give without running one.

import (
	"slices"
	"strings"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
)

// MergeRecords returns last (sorted by FQDN) with the records of fqdns
// replaced by those res has for them (removed when it has none); the other
// records of res are ignored. last is not modified.
func MergeRecords(last []*gslbv1.Record, fqdns []string, res Result) []*gslbv1.Record {
	dirty := FQDNSet(fqdns)
	fresh := map[string]*gslbv1.Record{}
	for _, r := range res.Records {
		if dirty[r.Fqdn] {
			fresh[r.Fqdn] = r
		}
	}
	out := make([]*gslbv1.Record, 0, len(last)+len(fresh))
	for _, r := range last {
		f := r.Fqdn
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
		slices.SortFunc(out, func(a, b *gslbv1.Record) int { return strings.Compare(a.Fqdn, b.Fqdn) })
	}
	return out
}

// MergeResult returns the Result a full build gives, from prev (the last
// one) and part (Build on the partial views of fqdns, whose clusters are
// clusters), given the merged table records: what part says of fqdns
// replaces what prev said of them. The policies and host rules come from
// part (it compiles them all), their FQDNs and conflicts merged, and the
// policies' per-cluster counts counted again in records (clusterStatus).
// prev is not modified.
func MergeResult(prev Result, fqdns []string, part Result, records []*gslbv1.Record, clusters []ClusterView) Result {
	dirty := FQDNSet(fqdns)
	out := Result{Records: records, Policies: make(map[string]*PolicyResult, len(part.Policies)), notes: part.notes,
		HostRules:   make(map[string]*HostRuleResult, len(part.HostRules)),
		KeptExpired: mergeFQDNs(prev.KeptExpired, part.KeptExpired, dirty, identity),
		OutOfZone:   mergeFQDNs(prev.OutOfZone, part.OutOfZone, dirty, identity)}
	byFQDN, state, kept := indexRecords(records), stateOf(clusters), FQDNSet(out.KeptExpired)
	for key, pr := range part.Policies {
		r := *pr
		var old PolicyResult
		if o := prev.Policies[key]; o != nil {
			old = *o
		}
		r.FQDNs = mergeFQDNs(old.FQDNs, pr.FQDNs, dirty, identity)
		r.Conflicts = mergeFQDNs(old.Conflicts, pr.Conflicts, dirty, conflictFQDN)
		r.Invalid, r.invalidBy = mergeInvalid(old.invalidBy, pr.invalidBy, dirty)
		names := make([]string, len(pr.Clusters))
		for i, c := range pr.Clusters {
			names[i] = c.Cluster
		}
		r.Clusters = clusterStatus(names, state, r.FQDNs, byFQDN, kept, part.notes)
		out.Policies[key] = &r
	}
	for key, hr := range part.HostRules {
		// Only a rule's own FQDN can change its result (a health check
		// that is not valid on top of its owner's).
		if o := prev.HostRules[key]; o != nil && !dirty[hr.fqdn] {
			hr = o
		}
		out.HostRules[key] = hr
	}
	return out
}

// mergeFQDNs returns the entries of prev whose FQDN (fqdnOf) is not dirty
// and those of part whose FQDN is, ordered by FQDN as both are (Build
// orders them so; the entries of one FQDN keep their order).
func mergeFQDNs(prev, part []string, dirty map[string]bool, fqdnOf func(string) string) []string {
	keep := func(in []string, want bool) []string {
		var out []string
		for _, e := range in {
			if dirty[fqdnOf(e)] == want {
				out = append(out, e)
			}
		}
		return out
	}
	a, b := keep(prev, false), keep(part, true)
	if len(b) == 0 {
		return a
	}
	out := make([]string, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if fqdnOf(b[0]) < fqdnOf(a[0]) {
			out, b = append(out, b[0]), b[1:]
		} else {
			out, a = append(out, a[0]), a[1:]
		}
	}
	return append(append(out, a...), b...)
}

// mergeInvalid returns a policy's ignored values by FQDN (invalidBy) with
// those of the dirty FQDNs from part and the others from prev, and all of
// them sorted, unique (PolicyResult.Invalid).
func mergeInvalid(prev, part map[string][]string, dirty map[string]bool) ([]string, map[string][]string) {
	var all []string
	var by map[string][]string
	take := func(from map[string][]string, want bool) {
		for f, notes := range from {
			if dirty[f] != want {
				continue
			}
			if by == nil {
				by = map[string][]string{}
			}
			by[f] = notes
			all = append(all, notes...)
		}
	}
	take(prev, false)
	take(part, true)
	slices.Sort(all)
	return slices.Compact(all), by
}

func identity(s string) string { return s }

// conflictFQDN is the FQDN a conflict (PolicyResult.Conflicts) is about.
func conflictFQDN(c string) string {
	f, _, _ := strings.Cut(c, ": ")
	return f
}

func FQDNSet(fqdns []string) map[string]bool {
	set := make(map[string]bool, len(fqdns))
	for _, f := range fqdns {
		set[f] = true
	}
	return set
}
