package table

// The phases of Build, in order. Each is a function of its inputs; those
// that resolve an FQDN's owner also fill in the policies' results (FQDNs,
// conflicts), which are outputs of Build.

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"
	"github.com/gslbdns/gslb/syncer/health"

	"google.golang.org/protobuf/proto"
	"k8s.io/apimachinery/pkg/labels"
)

// clusterIndex maps each cluster's name to its index in clusters.
func clusterIndex(clusters []ClusterView) map[string]int {
	known := make(map[string]int, len(clusters))
	for i, c := range clusters {
		known[c.Name] = i
	}
	return known
}

// compilePolicies validates the policies, oldest first, records each
// one's result in out, and returns the accepted ones in that order.
func compilePolicies(policies []*v1alpha1.GlobalDeploymentPolicy, known map[string]int, clusters []ClusterView, out map[string]*PolicyResult) []*policy {
	ps := slices.Clone(policies)
	slices.SortFunc(ps, olderFirst)
	var accepted []*policy
	for _, p := range ps {
		pp := compilePolicy(p, known, clusters)
		out[Key(p)] = pp.res
		if pp.res.Accepted {
			accepted = append(accepted, pp)
		}
	}
	return accepted
}

// matchObjects returns, by FQDN and then by accepted policy (in age
// order), the objects each policy selects; and the matched FQDNs outside
// every zone (not served).
func matchObjects(accepted []*policy, in Input, known map[string]int) (map[string][][]match, []string) {
	matches := map[string][][]match{}
	outOfZone := map[string]bool{}
	for pi, p := range accepted {
		for _, cname := range p.clusters {
			ci := known[cname]
			cv := &in.Clusters[ci]
			for oi := range cv.Objects {
				o := &cv.Objects[oi]
				if !p.app.Matches(labels.Set(o.Labels)) || !p.ns.Matches(labels.Set(cv.NamespaceLabels[o.Namespace])) {
					continue
				}
				noteInvalid(p.res, cv.Name, o)
				for _, f := range o.FQDNs {
					if !inZones(f, in.Zones) {
						outOfZone[f] = true
						continue
					}
					m := matches[f]
					if m == nil {
						m = make([][]match, len(accepted))
						matches[f] = m
					}
					m[pi] = append(m[pi], match{ci, o})
				}
			}
		}
	}
	for _, p := range accepted {
		slices.Sort(p.res.Invalid)
		p.res.Invalid = slices.Compact(p.res.Invalid)
		for f, notes := range p.res.invalidBy {
			slices.Sort(notes)
			p.res.invalidBy[f] = slices.Compact(notes)
		}
	}
	return matches, SortedKeys(outOfZone)
}

// noteInvalid records in a policy's result the ignored values of an object
// it selects in cluster, also by the object's FQDNs (for a partial build's
// merge, partial.go).
func noteInvalid(res *PolicyResult, cluster string, o *Object) {
	for _, s := range o.Invalid {
		note := cluster + ": " + s
		res.Invalid = append(res.Invalid, note)
		if res.invalidBy == nil {
			res.invalidBy = map[string][]string{}
		}
		for _, f := range o.FQDNs {
			res.invalidBy[f] = append(res.invalidBy[f], note)
		}
	}
}

// fqdnList is every FQDN of the table, sorted: those objects ask for,
// those of host rules and those kept for clusters not synced.
func fqdnList(matches map[string][][]match, rules map[string]*hostRule, kept map[string]int) []string {
	fqdns := SortedKeys(matches)
	extra := map[string]bool{}
	for f := range rules {
		if matches[f] == nil {
			extra[f] = true
		}
	}
	for f := range kept {
		if matches[f] == nil {
			extra[f] = true
		}
	}
	if len(extra) == 0 {
		return fqdns
	}
	fqdns = append(fqdns, SortedKeys(extra)...)
	slices.Sort(fqdns)
	return fqdns
}

// resolveOwner returns the index of the policy that serves f: the oldest
// that matches it (the newer ones are conflicts, reported on both sides),
// else the one that keeps it for a cluster not synced; -1 for none (a host
// rule's FQDN with third-party members only).
func resolveOwner(f string, byPolicy [][]match, accepted []*policy, kept map[string]int) int {
	owner := -1
	for pi, m := range byPolicy {
		if len(m) == 0 {
			continue
		}
		if owner < 0 {
			owner = pi
			continue
		}
		o, l := accepted[owner], accepted[pi]
		o.res.Conflicts = append(o.res.Conflicts, fmt.Sprintf("%s: also matched by %s (newer, ignored)", f, Key(l.obj)))
		l.res.Conflicts = append(l.res.Conflicts, fmt.Sprintf("%s: served by %s (older)", f, Key(o.obj)))
	}
	if ko, ok := kept[f]; ok && owner < 0 {
		owner = ko
	}
	if owner >= 0 {
		accepted[owner].res.FQDNs = append(accepted[owner].res.FQDNs, f)
	}
	return owner
}

func policyAt(accepted []*policy, i int) *policy {
	if i < 0 {
		return nil
	}
	return accepted[i]
}

func ownerMatches(byPolicy [][]match, owner int) []match {
	if owner < 0 || byPolicy == nil {
		return nil
	}
	return byPolicy[owner]
}

// settings are how an FQDN's members are weighed and checked.
type settings struct {
	split  map[string]v1alpha1.TrafficSplit
	check  health.Check
	probed bool
	mode   v1alpha1.EndpointReadiness
	public map[string][]string // the host rule's public addresses, by cluster
}

// recordSettings returns f's record without members and its settings: the
// owner policy's (nil: none), overridden field by field by the host rule's
// (nil: none). A rule's check that is not valid on top of the policy's is
// refused in the rule's result, and the policy's applies.
func recordSettings(f string, owner *policy, hr *hostRule) (*gslbv1.Record, settings) {
	rec := &gslbv1.Record{Fqdn: f}
	set := settings{mode: v1alpha1.ReadinessAll}
	var hc *v1alpha1.HealthCheck
	if owner != nil {
		p := owner.obj
		hc, set.mode, set.split = p.Spec.HealthCheck, owner.readiness, owner.split
		if p.Spec.TTL != nil {
			rec.Ttl = specTTL(*p.Spec.TTL)
		}
		rec.Algorithm = algorithm(p.Spec.Algorithm)
		rec.DownResponse, rec.Fallback = downResponse(p.Spec.DownResponse)
	}
	if hr != nil {
		hc = mergeHealthCheck(hc, hr.obj.Spec.HealthCheck)
		if hr.obj.Spec.EndpointReadiness != "" {
			set.mode = hr.obj.Spec.EndpointReadiness
		}
		if hr.obj.Spec.TTL != nil {
			rec.Ttl = specTTL(*hr.obj.Spec.TTL)
		}
		if hr.obj.Spec.Algorithm != "" {
			rec.Algorithm = algorithm(hr.obj.Spec.Algorithm)
		}
		if hr.obj.Spec.DownResponse != nil {
			rec.DownResponse, rec.Fallback = downResponse(hr.obj.Spec.DownResponse)
		}
		if len(hr.split) > 0 {
			set.split = hr.split
		}
		set.public = hr.public
	}
	var err error
	set.check, set.probed, err = compileHealthCheck(hc)
	switch {
	case err != nil && (hr == nil || owner == nil):
		set.probed = false // not reached: each check alone was validated
	case err != nil:
		hr.res.Accepted, hr.res.Reason = false, v1alpha1.ReasonInvalidHealthCheck
		hr.res.Message = fmt.Sprintf("on top of the healthCheck of policy %s: %v; the policy's check applies", Key(owner.obj), err)
		set.check, set.probed, _ = compileHealthCheck(owner.obj.Spec.HealthCheck)
	}
	return rec, set
}

// memberEntries returns f's members, those of live clusters and those of
// expired ones apart: the owner's matched objects (ready or down with the
// reason, probed when the check says so, marked stale when their cluster
// is not up), the members kept for its clusters not synced, and the host
// rule's third-party members.
func memberEntries(f string, owner *policy, ms []match, in Input, known map[string]int, hr *hostRule, set settings) (live, expired []entry) {
	add := func(cv *ClusterView, es []entry) {
		if cv.State == ClusterExpired {
			expired = append(expired, es...)
		} else {
			live = append(live, es...)
		}
	}
	if owner != nil {
		slices.SortStableFunc(ms, func(a, b match) int {
			return cmp.Or(cmp.Compare(a.cluster, b.cluster), strings.Compare(a.obj.Kind, b.obj.Kind),
				strings.Compare(a.obj.Namespace, b.obj.Namespace), strings.Compare(a.obj.Name, b.obj.Name))
		})
		for _, m := range ms {
			cv := &in.Clusters[m.cluster]
			add(cv, objectEntries(f, cv, m.obj, set))
		}
		for _, cname := range owner.clusters {
			cv := &in.Clusters[known[cname]]
			add(cv, KeptEntries(cv, f, set.split, set.check, set.probed))
		}
	}
	if hr != nil {
		for _, m := range hr.extra {
			e := entry{m: proto.CloneOf(m)}
			if set.probed && m.Address != "" {
				e.check = memberCheck(set.check, 0, f)
			}
			live = append(live, e)
		}
	}
	return live, expired
}

// objectEntries are the members one object of cv gives f.
func objectEntries(f string, cv *ClusterView, o *Object, set settings) []entry {
	w, prio := uint32(1), uint32(0)
	if ts, ok := set.split[cv.Name]; ok {
		w, prio = uint32(ts.Weight), uint32(ts.Priority)
	}
	ready, why := readiness(set.mode, cv.Endpoints, o, f)
	o = withRulePublic(o, set.public, cv.Name)
	out := make([]entry, 0, len(o.Addresses)+len(o.Hostnames))
	for _, a := range AnswerTargets(o) {
		e := entry{m: &gslbv1.Member{Address: a.Answer, Weight: w, Priority: prio, Cluster: cv.Name}}
		if set.probed {
			e.check = memberCheck(set.check, o.Port, f)
			if a.Probe != a.Answer {
				e.check.Address = a.Probe
			}
		}
		out = append(out, e)
	}
	for _, h := range AnsweredHostnames(o) {
		out = append(out, entry{m: &gslbv1.Member{Hostname: h, Weight: w, Priority: prio, Cluster: cv.Name}})
	}
	for _, e := range out {
		if !ready {
			e.m.Health, e.m.HealthReason = gslbv1.Health_HEALTH_DOWN, why
		}
		e.m.Stale = staleOf(cv)
	}
	return out
}

// chooseMembers applies the grace rule: the members of expired clusters
// are dropped, unless no other member is left (then they are kept, and
// keptExpired says so).
func chooseMembers(live, expired []entry) (members []entry, keptExpired bool) {
	if len(live) == 0 && len(expired) > 0 {
		return expired, true
	}
	return live, false
}

// clusterStatus is a policy's per-cluster state: for each of the
// clusters it selects (names), in that order, the state the cluster is in
// and how many members it gives the policy's FQDNs in the table (records,
// by FQDN); an expired cluster is ExpiredKept when its members stand in
// one of kept (the FQDNs left with expired members only). It is a fold
// over the table, so that a status can be made from a partial build's
// table too (mergeResult): Build and mergeResult share it. notes (by
// cluster, clusterNotes) end a cluster's message.
func clusterStatus(names []string, state func(string) ClusterState, fqdns []string, records map[string]*gslbv1.Record,
	kept map[string]bool, notes map[string]string) []v1alpha1.ClusterSyncStatus {
	members, keptIn := map[string]int32{}, map[string]bool{}
	for _, f := range fqdns {
		r := records[f]
		if r == nil {
			continue
		}
		for _, m := range r.Members {
			if m.Cluster != "" {
				members[m.Cluster]++
				keptIn[m.Cluster] = keptIn[m.Cluster] || kept[f]
			}
		}
	}
	var out []v1alpha1.ClusterSyncStatus
	for _, name := range names {
		st := v1alpha1.ClusterSyncStatus{Cluster: name, Members: members[name]}
		switch {
		case state(name) == ClusterUp:
			st.State = v1alpha1.StateSynced
		case state(name) == ClusterUnreachable:
			st.State = v1alpha1.StateUnreachable
			st.Message = "unreachable: last-known members kept for the grace period"
		case keptIn[name]:
			st.State = v1alpha1.StateExpiredKept
			st.Message = "unreachable past the grace period: members kept, dropping them would leave an FQDN empty"
		default:
			st.State = v1alpha1.StateExpired
			st.Message = "unreachable past the grace period: members dropped"
		}
		st.Message = withNote(st.Message, notes[name])
		out = append(out, st)
	}
	return out
}

// indexRecords maps each record's FQDN to it.
func indexRecords(recs []*gslbv1.Record) map[string]*gslbv1.Record {
	out := make(map[string]*gslbv1.Record, len(recs))
	for _, r := range recs {
		out[r.Fqdn] = r
	}
	return out
}

// stateOf returns the state of the clusters by name (ClusterUp for a name
// not among them).
func stateOf(clusters []ClusterView) func(string) ClusterState {
	states := make(map[string]ClusterState, len(clusters))
	for _, c := range clusters {
		states[c.Name] = c.State
	}
	return func(name string) ClusterState { return states[name] }
}
