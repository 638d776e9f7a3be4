package table

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Validating the policies and host rules: what Build accepts, and why not.

// compilePolicy validates one policy: its selectors, clusters, split, down
// response, check and readiness mode (a rejected one says why in its result).
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
	pp.res.Unresolved = unresolved(clusters, clusterRefs{"matchClusters", unknownMatch}, clusterRefs{"trafficSplit", unknownSplit})
	if err := checkDown(p.Spec.DownResponse); err != nil {
		return reject(v1alpha1.ReasonInvalidAddress, "%v", err)
	}
	if _, _, err := compileHealthCheck(p.Spec.HealthCheck); err != nil {
		return reject(v1alpha1.ReasonInvalidHealthCheck, "%v", err)
	}
	if pp.routing, err = compileRouting(p.Spec.Algorithm, p.Spec.Routing); err != nil {
		return reject(v1alpha1.ReasonInvalidRouting, "%v", err)
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

// clusterRefs are the clusters a field names that are not members.
type clusterRefs struct {
	field   string
	unknown []string
}

// unresolved describes the ignored references to clusters that are not
// members.
func unresolved(clusters []ClusterView, refs ...clusterRefs) string {
	var parts []string
	for _, r := range refs {
		if len(r.unknown) > 0 {
			parts = append(parts, fmt.Sprintf("%s %s", r.field, quoteAll(r.unknown)))
		}
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
		res.fqdn = f
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
		var unknownPublic []string
		hr.public, unknownPublic, res.Invalid = compilePublic(r.Spec.PublicAddresses, known) // hostpublic.go
		res.Unresolved = unresolved(nil, clusterRefs{"trafficSplit", unknown}, clusterRefs{"publicAddresses", unknownPublic})
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
