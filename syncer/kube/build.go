package kube

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"
	"github.com/gslbdns/gslb/syncer/health"

	"google.golang.org/protobuf/proto"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// ClusterState is how the source sees a member cluster.
type ClusterState int

const (
	// ClusterUp: the cluster answers and its objects are current.
	ClusterUp ClusterState = iota
	// ClusterUnreachable: the cluster does not answer; its last-known
	// objects are used within the grace period.
	ClusterUnreachable
	// ClusterExpired: unreachable for longer than the grace period. Its
	// members are dropped, unless that would leave an FQDN with none.
	ClusterExpired
)

// ClusterView is one member cluster's objects as last seen.
type ClusterView struct {
	Name            string
	State           ClusterState
	Objects         []Object
	NamespaceLabels map[string]map[string]string // namespace → labels
	// Endpoints of the cluster's Services, by "namespace/name" (a Service
	// without any EndpointSlice is absent).
	Endpoints map[string]EndpointCount
	// Since is when a cluster that is not up was last seen: the grace
	// period counts from it, and its members are marked stale since then.
	Since time.Time
	// Kept are, for a cluster not synced since the syncer started, the
	// members the plugin served for it (the start-up seed), by FQDN: they
	// stand for its objects until it syncs (see keptEntries).
	Kept map[string][]*gslbv1.Member
}

// Input is everything the table is built from.
type Input struct {
	Clusters  []ClusterView // the member clusters, in configuration order
	Policies  []*v1alpha1.GlobalDeploymentPolicy
	HostRules []*v1alpha1.GSLBHostRule
	// Zones (canonical) the plugin serves; FQDNs outside them are ignored.
	// Empty: every FQDN is kept.
	Zones []string
}

// PolicyResult is what Build found for one policy (its status, except what
// only the source knows: generation, push state).
type PolicyResult struct {
	Accepted        bool
	Reason, Message string
	FQDNs           []string // served by this policy
	Conflicts       []string // "fqdn: also matched by ns/name"
	Clusters        []v1alpha1.ClusterSyncStatus
	// Unresolved says which references to clusters that are not members
	// were ignored ("" when all resolve).
	Unresolved string
}

// HostRuleResult is what Build found for one host rule.
type HostRuleResult struct {
	Accepted        bool
	Reason, Message string
	Unresolved      string // as in PolicyResult
}

// Result is the table and the status of every policy and host rule, keyed
// by "namespace/name".
type Result struct {
	Records []*gslbv1.Record // sorted by fqdn
	// Checks[i][j] is the health check of Records[i].Members[j], nil when
	// that member is not probed; Checks[i] is nil when none is.
	Checks    [][]*health.Check
	Policies  map[string]*PolicyResult
	HostRules map[string]*HostRuleResult
	// KeptExpired are FQDNs served by members of expired clusters because
	// no other member is left.
	KeptExpired []string
	// OutOfZone are matched FQDNs outside every zone: not served.
	OutOfZone []string
}

// Key is "namespace/name" of an object.
func Key(m metav1.Object) string { return m.GetNamespace() + "/" + m.GetName() }

// olderFirst orders objects by creation time, then namespace/name: the
// oldest policy wins a conflict, deterministically.
func olderFirst[T metav1.Object](a, b T) int {
	ta, tb := a.GetCreationTimestamp(), b.GetCreationTimestamp()
	if c := ta.Time.Compare(tb.Time); c != 0 {
		return c
	}
	return strings.Compare(Key(a), Key(b))
}

type policy struct {
	obj       *v1alpha1.GlobalDeploymentPolicy
	res       *PolicyResult
	app, ns   labels.Selector
	clusters  []string // selected clusters
	split     map[string]v1alpha1.TrafficSplit
	readiness v1alpha1.EndpointReadiness
}

type hostRule struct {
	obj   *v1alpha1.GSLBHostRule
	res   *HostRuleResult
	fqdn  string
	split map[string]v1alpha1.TrafficSplit
	extra []*gslbv1.Member
}

// entry is one member of a record being built, with its check.
type entry struct {
	m     *gslbv1.Member
	check *health.Check
}

// match is one object of one cluster matched by a policy for an FQDN.
type match struct {
	cluster int // index in Input.Clusters
	obj     *Object
}

// Build computes the table and the policies' status from in. It is a pure
// function: same input, same output.
func Build(in Input) Result {
	res := Result{Policies: map[string]*PolicyResult{}, HostRules: map[string]*HostRuleResult{}}
	known := map[string]int{}
	for i, c := range in.Clusters {
		known[c.Name] = i
	}

	policies := slices.Clone(in.Policies)
	slices.SortFunc(policies, olderFirst)
	var accepted []*policy
	for _, p := range policies {
		pp := compilePolicy(p, known, in.Clusters)
		res.Policies[Key(p)] = pp.res
		if pp.res.Accepted {
			accepted = append(accepted, pp)
		}
	}

	// FQDN → per accepted policy (in age order) → matches.
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
	res.OutOfZone = sortedKeys(outOfZone)

	rules := compileHostRules(in.HostRules, known, in.Zones, res.HostRules)

	keptOwners := keptFQDNs(accepted, in, known)
	unmatched := map[string]bool{} // FQDNs of host rules and kept members that no object asks for
	for f := range rules {
		unmatched[f] = matches[f] == nil
	}
	for f := range keptOwners {
		unmatched[f] = matches[f] == nil
	}
	fqdns := sortedKeys(matches)
	for f, add := range unmatched {
		if add {
			fqdns = append(fqdns, f)
		}
	}
	slices.Sort(fqdns)

	clusterMembers := make([]map[string]int32, len(accepted)) // per policy: cluster → members
	kept := make([]map[string]bool, len(accepted))            // per policy: clusters kept though expired
	for i := range accepted {
		clusterMembers[i] = map[string]int32{}
		kept[i] = map[string]bool{}
	}
	for _, f := range fqdns {
		owner := -1
		for pi, m := range matches[f] {
			if len(m) == 0 {
				continue
			}
			if owner < 0 {
				owner = pi
				accepted[pi].res.FQDNs = append(accepted[pi].res.FQDNs, f)
				continue
			}
			o, l := accepted[owner], accepted[pi]
			o.res.Conflicts = append(o.res.Conflicts, fmt.Sprintf("%s: also matched by %s (newer, ignored)", f, Key(l.obj)))
			l.res.Conflicts = append(l.res.Conflicts, fmt.Sprintf("%s: served by %s (older)", f, Key(o.obj)))
		}
		if ko, ok := keptOwners[f]; ok && owner < 0 {
			owner = ko
			accepted[ko].res.FQDNs = append(accepted[ko].res.FQDNs, f)
		}
		hr := rules[f]
		rec := &gslbv1.Record{Fqdn: f}
		var split map[string]v1alpha1.TrafficSplit
		var hc *v1alpha1.HealthCheck
		mode := v1alpha1.ReadinessAll
		if owner >= 0 {
			hc = accepted[owner].obj.Spec.HealthCheck
			mode = accepted[owner].readiness
		}
		if hr != nil {
			hc = mergeHealthCheck(hc, hr.obj.Spec.HealthCheck)
			if hr.obj.Spec.EndpointReadiness != "" {
				mode = hr.obj.Spec.EndpointReadiness
			}
		}
		check, probed, err := compileHealthCheck(hc)
		if err != nil && (hr == nil || owner < 0) {
			probed = false // not reached: each check alone was validated
		} else if err != nil {
			// Each check was valid alone; the rule's fields on the
			// policy's are not: the policy's check applies.
			hr.res.Accepted, hr.res.Reason = false, v1alpha1.ReasonInvalidHealthCheck
			hr.res.Message = fmt.Sprintf("on top of the healthCheck of policy %s: %v; the policy's check applies", Key(accepted[owner].obj), err)
			check, probed, _ = compileHealthCheck(accepted[owner].obj.Spec.HealthCheck)
		}
		if owner >= 0 {
			p := accepted[owner].obj
			split = accepted[owner].split
			if p.Spec.TTL != nil {
				rec.Ttl = uint32(*p.Spec.TTL)
			}
			rec.Algorithm = algorithm(p.Spec.Algorithm)
			rec.DownResponse, rec.Fallback = downResponse(p.Spec.DownResponse)
		}
		if hr != nil {
			if hr.obj.Spec.TTL != nil {
				rec.Ttl = uint32(*hr.obj.Spec.TTL)
			}
			if hr.obj.Spec.Algorithm != "" {
				rec.Algorithm = algorithm(hr.obj.Spec.Algorithm)
			}
			if hr.obj.Spec.DownResponse != nil {
				rec.DownResponse, rec.Fallback = downResponse(hr.obj.Spec.DownResponse)
			}
			if len(hr.split) > 0 {
				split = hr.split
			}
		}
		var live, expired []entry
		if owner >= 0 {
			var ms []match
			if matches[f] != nil {
				ms = matches[f][owner]
			}
			slices.SortStableFunc(ms, func(a, b match) int {
				return cmp.Or(cmp.Compare(a.cluster, b.cluster), strings.Compare(a.obj.Kind, b.obj.Kind),
					strings.Compare(a.obj.Namespace, b.obj.Namespace), strings.Compare(a.obj.Name, b.obj.Name))
			})
			for _, m := range ms {
				cv := &in.Clusters[m.cluster]
				w, prio := uint32(1), uint32(0)
				if ts, ok := split[cv.Name]; ok {
					w, prio = uint32(ts.Weight), uint32(ts.Priority)
				}
				ready, why := readiness(mode, cv.Endpoints, m.obj, f)
				var add []entry
				for _, a := range m.obj.Addresses {
					e := entry{m: &gslbv1.Member{Address: a, Weight: w, Priority: prio, Cluster: cv.Name}}
					if probed {
						e.check = memberCheck(check, m.obj.Port, f)
					}
					add = append(add, e)
				}
				for _, h := range m.obj.Hostnames {
					add = append(add, entry{m: &gslbv1.Member{Hostname: h, Weight: w, Priority: prio, Cluster: cv.Name}})
				}
				for _, e := range add {
					if !ready {
						e.m.Health, e.m.HealthReason = gslbv1.Health_HEALTH_DOWN, why
					}
					e.m.Stale = staleOf(cv)
				}
				if cv.State == ClusterExpired {
					expired = append(expired, add...)
				} else {
					live = append(live, add...)
				}
			}
			for _, cname := range accepted[owner].clusters {
				cv := &in.Clusters[known[cname]]
				add := keptEntries(cv, f, split, check, probed)
				if cv.State == ClusterExpired {
					expired = append(expired, add...)
				} else {
					live = append(live, add...)
				}
			}
		}
		if hr != nil {
			for _, m := range hr.extra {
				e := entry{m: proto.CloneOf(m)}
				if probed && m.Address != "" {
					e.check = memberCheck(check, 0, f)
				}
				live = append(live, e)
			}
		}
		members := live
		if len(live) == 0 && len(expired) > 0 {
			members = expired
			res.KeptExpired = append(res.KeptExpired, f)
			for _, e := range expired {
				kept[owner][e.m.Cluster] = true
			}
		}
		var checks []*health.Check
		rec.Members, checks = dedupe(members)
		if owner >= 0 {
			for _, m := range rec.Members {
				if m.Cluster != "" {
					clusterMembers[owner][m.Cluster]++
				}
			}
		}
		if len(rec.Members) > 0 {
			res.Records = append(res.Records, rec)
			res.Checks = append(res.Checks, checks)
		}
	}

	for i, p := range accepted {
		for _, cname := range p.clusters {
			cv := in.Clusters[known[cname]]
			st := v1alpha1.ClusterSyncStatus{Cluster: cname, Members: clusterMembers[i][cname]}
			switch {
			case cv.State == ClusterUp:
				st.State = v1alpha1.StateSynced
			case cv.State == ClusterUnreachable:
				st.State = v1alpha1.StateUnreachable
				st.Message = "unreachable: last-known members kept for the grace period"
			case kept[i][cname]:
				st.State = v1alpha1.StateExpiredKept
				st.Message = "unreachable past the grace period: members kept, dropping them would leave an FQDN empty"
			default:
				st.State = v1alpha1.StateExpired
				st.Message = "unreachable past the grace period: members dropped"
			}
			p.res.Clusters = append(p.res.Clusters, st)
		}
	}
	return res
}

func compilePolicy(p *v1alpha1.GlobalDeploymentPolicy, known map[string]int, clusters []ClusterView) *policy {
	pp := &policy{obj: p, res: &PolicyResult{Accepted: true, Reason: v1alpha1.ReasonValid}, split: map[string]v1alpha1.TrafficSplit{}}
	reject := func(reason, format string, a ...any) *policy {
		pp.res.Accepted, pp.res.Reason, pp.res.Message = false, reason, fmt.Sprintf(format, a...)
		return pp
	}
	var err error
	if p.Spec.MatchRules.AppSelector == nil {
		return reject(v1alpha1.ReasonInvalidSelector, "matchRules.appSelector is required")
	}
	if pp.app, err = metav1.LabelSelectorAsSelector(p.Spec.MatchRules.AppSelector); err != nil {
		return reject(v1alpha1.ReasonInvalidSelector, "matchRules.appSelector: %v", err)
	}
	pp.ns = labels.Everything()
	if p.Spec.MatchRules.NamespaceSelector != nil {
		if pp.ns, err = metav1.LabelSelectorAsSelector(p.Spec.MatchRules.NamespaceSelector); err != nil {
			return reject(v1alpha1.ReasonInvalidSelector, "matchRules.namespaceSelector: %v", err)
		}
	}
	// A cluster that is not a member (a typo, or a cluster removed from
	// the members) is ignored and reported: refusing the policy would take
	// all its FQDNs out of the DNS.
	var unknownMatch []string
	for _, c := range p.Spec.MatchClusters {
		if _, ok := known[c]; !ok {
			unknownMatch = append(unknownMatch, c)
		}
	}
	var unknownSplit []string
	if pp.split, unknownSplit, err = compileSplit(p.Spec.TrafficSplit, known); err != nil {
		return reject(v1alpha1.ReasonInvalidSplit, "%v", err)
	}
	pp.res.Unresolved = unresolved(unknownMatch, unknownSplit, clusters)
	if err := checkDown(p.Spec.DownResponse); err != nil {
		return reject(v1alpha1.ReasonInvalidAddress, "%v", err)
	}
	if _, _, err := compileHealthCheck(p.Spec.HealthCheck); err != nil {
		return reject(v1alpha1.ReasonInvalidHealthCheck, "%v", err)
	}
	switch pp.readiness = p.Spec.EndpointReadiness; pp.readiness {
	case "":
		pp.readiness = v1alpha1.ReadinessAll
	case v1alpha1.ReadinessAll, v1alpha1.ReadinessAny, v1alpha1.ReadinessIgnore:
	default:
		return reject(v1alpha1.ReasonInvalidHealthCheck, "endpointReadiness %q is not one of All, Any, Ignore", pp.readiness)
	}
	if len(p.Spec.MatchClusters) > 0 {
		pp.clusters = slices.DeleteFunc(slices.Clone(p.Spec.MatchClusters), func(c string) bool { _, ok := known[c]; return !ok })
		slices.SortFunc(pp.clusters, func(a, b string) int { return cmp.Compare(known[a], known[b]) })
		pp.clusters = slices.Compact(pp.clusters)
	} else {
		for _, c := range clusters {
			pp.clusters = append(pp.clusters, c.Name)
		}
	}
	pp.res.Message = fmt.Sprintf("selects objects in %d cluster(s)", len(pp.clusters))
	return pp
}

// compileSplit returns the split by cluster, and the clusters it names
// that are not members (their entries are left out).
func compileSplit(ts []v1alpha1.TrafficSplit, known map[string]int) (map[string]v1alpha1.TrafficSplit, []string, error) {
	split := map[string]v1alpha1.TrafficSplit{}
	var unknown []string
	for _, t := range ts {
		if t.Weight < 0 || t.Weight > gslbv1.MaxWeight || t.Priority < 0 {
			return nil, nil, fmt.Errorf("trafficSplit: cluster %q: weight %d or priority %d out of range", t.Cluster, t.Weight, t.Priority)
		}
		if _, ok := known[t.Cluster]; !ok {
			unknown = append(unknown, t.Cluster)
			continue
		}
		split[t.Cluster] = t
	}
	return split, unknown, nil
}

// unresolved describes the ignored references to clusters that are not
// members.
func unresolved(match, split []string, clusters []ClusterView) string {
	var parts []string
	if len(match) > 0 {
		parts = append(parts, fmt.Sprintf("matchClusters %s", quoteAll(match)))
	}
	if len(split) > 0 {
		parts = append(parts, fmt.Sprintf("trafficSplit %s", quoteAll(split)))
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf("%s: not a member cluster, ignored (members: %s)", strings.Join(parts, " and "), memberNames(clusters))
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

func checkDown(d *v1alpha1.DownResponse) error {
	if d == nil {
		return nil
	}
	for _, a := range d.FallbackAddresses {
		if _, err := gslbv1.ParseAddress(a); err != nil {
			return fmt.Errorf("downResponse.fallbackAddresses: %v", err)
		}
	}
	if d.Type == v1alpha1.DownFallback && len(d.FallbackAddresses) == 0 {
		return fmt.Errorf("downResponse: type Fallback needs fallbackAddresses")
	}
	return nil
}

// compileHostRules validates the host rules; the oldest rule for an FQDN
// wins, the others are refused with reason Conflict.
func compileHostRules(in []*v1alpha1.GSLBHostRule, known map[string]int, zones []string, out map[string]*HostRuleResult) map[string]*hostRule {
	rs := slices.Clone(in)
	slices.SortFunc(rs, olderFirst)
	rules := map[string]*hostRule{}
	for _, r := range rs {
		res := &HostRuleResult{Accepted: true, Reason: v1alpha1.ReasonValid}
		out[Key(r)] = res
		reject := func(reason, format string, a ...any) {
			res.Accepted, res.Reason, res.Message = false, reason, fmt.Sprintf(format, a...)
		}
		f, err := gslbv1.CanonicalName(r.Spec.FQDN)
		if err != nil {
			reject(v1alpha1.ReasonInvalidFQDN, "fqdn: %v", err)
			continue
		}
		if !inZones(f, zones) {
			reject(v1alpha1.ReasonInvalidFQDN, "fqdn %s is outside the zones served (%s)", f, strings.Join(zones, ", "))
			continue
		}
		if w, ok := rules[f]; ok {
			reject(v1alpha1.ReasonConflict, "fqdn %s is already overridden by the older %s", f, Key(w.obj))
			continue
		}
		hr := &hostRule{obj: r, res: res, fqdn: f}
		var unknown []string
		if hr.split, unknown, err = compileSplit(r.Spec.TrafficSplit, known); err != nil {
			reject(v1alpha1.ReasonInvalidSplit, "%v", err)
			continue
		}
		res.Unresolved = unresolved(nil, unknown, nil)
		if err := checkDown(r.Spec.DownResponse); err != nil {
			reject(v1alpha1.ReasonInvalidAddress, "%v", err)
			continue
		}
		if _, _, err := compileHealthCheck(r.Spec.HealthCheck); err != nil {
			reject(v1alpha1.ReasonInvalidHealthCheck, "%v", err)
			continue
		}
		switch r.Spec.EndpointReadiness {
		case "", v1alpha1.ReadinessAll, v1alpha1.ReadinessAny, v1alpha1.ReadinessIgnore:
		default:
			reject(v1alpha1.ReasonInvalidHealthCheck, "endpointReadiness %q is not one of All, Any, Ignore", r.Spec.EndpointReadiness)
			continue
		}
		bad := ""
		for i, m := range r.Spec.ThirdPartyMembers {
			mm := &gslbv1.Member{Weight: uint32(max(m.Weight, 0)), Priority: uint32(max(m.Priority, 0)), Site: m.Site}
			switch {
			case (m.Address == "") == (m.Hostname == ""):
				bad = fmt.Sprintf("thirdPartyMembers[%d]: set exactly one of address and hostname", i)
			case m.Address != "":
				a, err := gslbv1.ParseAddress(m.Address)
				if err != nil {
					bad = fmt.Sprintf("thirdPartyMembers[%d]: %v", i, err)
				}
				mm.Address = a.String()
			default:
				h, err := gslbv1.CanonicalName(m.Hostname)
				if err != nil {
					bad = fmt.Sprintf("thirdPartyMembers[%d]: %v", i, err)
				}
				mm.Hostname = h
			}
			if m.Weight > gslbv1.MaxWeight {
				bad = fmt.Sprintf("thirdPartyMembers[%d]: weight %d larger than %d", i, m.Weight, gslbv1.MaxWeight)
			}
			if bad != "" {
				break
			}
			hr.extra = append(hr.extra, mm)
		}
		if bad != "" {
			reject(v1alpha1.ReasonInvalidAddress, "%s", bad)
			continue
		}
		rules[f] = hr
	}
	return rules
}

// dedupe returns each member once (the first of a key), with its check
// (nil checks: none is probed). A member several objects give (a Service
// and an Ingress with the same load balancer address) is ready when one of
// them is.
func dedupe(es []entry) ([]*gslbv1.Member, []*health.Check) {
	seen := map[string]int{}
	out := make([]*gslbv1.Member, 0, len(es))
	checks := make([]*health.Check, 0, len(es))
	probed := false
	for _, e := range es {
		k := gslbv1.MemberKey(e.m)
		if i, ok := seen[k]; ok {
			if out[i].Health == gslbv1.Health_HEALTH_DOWN && e.m.Health != gslbv1.Health_HEALTH_DOWN {
				out[i].Health, out[i].HealthReason = e.m.Health, e.m.HealthReason
			}
			continue
		}
		seen[k] = len(out)
		out = append(out, e.m)
		checks = append(checks, e.check)
		probed = probed || e.check != nil
	}
	if !probed {
		checks = nil
	}
	return out, checks
}

func algorithm(a v1alpha1.Algorithm) gslbv1.Algorithm {
	switch a {
	case v1alpha1.AlgorithmWRR:
		return gslbv1.Algorithm_ALGORITHM_WRR
	case v1alpha1.AlgorithmRandom:
		return gslbv1.Algorithm_ALGORITHM_RANDOM
	}
	return gslbv1.Algorithm_ALGORITHM_UNSPECIFIED
}

func downResponse(d *v1alpha1.DownResponse) (gslbv1.DownResponse, []string) {
	if d == nil {
		return gslbv1.DownResponse_DOWN_RESPONSE_UNSPECIFIED, nil
	}
	var fb []string
	for _, a := range d.FallbackAddresses {
		if p, err := gslbv1.ParseAddress(a); err == nil {
			fb = append(fb, p.String())
		}
	}
	switch d.Type {
	case v1alpha1.DownAll:
		return gslbv1.DownResponse_DOWN_RESPONSE_ALL, fb
	case v1alpha1.DownFallback:
		return gslbv1.DownResponse_DOWN_RESPONSE_FALLBACK, fb
	case v1alpha1.DownEmpty:
		return gslbv1.DownResponse_DOWN_RESPONSE_EMPTY, fb
	case v1alpha1.DownServFail:
		return gslbv1.DownResponse_DOWN_RESPONSE_SERVFAIL, fb
	}
	return gslbv1.DownResponse_DOWN_RESPONSE_UNSPECIFIED, fb
}

func inZones(f string, zones []string) bool {
	if len(zones) == 0 {
		return true
	}
	for _, z := range zones {
		if f == z || strings.HasSuffix(f, "."+z) {
			return true
		}
	}
	return false
}

func memberNames(cs []ClusterView) string {
	if cs == nil {
		return "see the syncer's configuration"
	}
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
