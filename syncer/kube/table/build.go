// Package table is the Kubernetes source's table: Build turns what the
// member clusters and the config cluster hold (Input: the objects, their
// endpoints, the policies, host rules and drains) into gslb's records and
// each policy's and host rule's result (Result), and PolicyStatus and
// HostRuleStatus turn a result into the status to write. Everything here
// is a pure function of its arguments: no client-go, no goroutine, no
// clock (the times are in the input). The informers, the work queue and
// the status writes are syncer/kube's.
package table

import (
	"slices"
	"strings"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"
	"github.com/gslbdns/gslb/syncer/health"

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
	// Missing are the optional kinds (Gateway API, OpenShift Route) the
	// cluster does not serve: not watched until their CRDs appear.
	Missing []string
}

// Input is everything the table is built from.
type Input struct {
	Clusters  []ClusterView // the member clusters, in configuration order
	Policies  []*v1alpha1.GlobalDeploymentPolicy
	HostRules []*v1alpha1.GSLBHostRule
	// Drains are the operators' drains (drain.go).
	Drains []*v1alpha1.GSLBDrain
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
	// Invalid are the values of matched objects that were ignored, each
	// "cluster: Kind namespace/name: what" (sorted, unique).
	Invalid []string
	// invalidBy is Invalid by the FQDNs of the objects noted (sorted,
	// unique): what a partial build replaces of it (partial.go).
	invalidBy map[string][]string
}

// HostRuleResult is what Build found for one host rule.
type HostRuleResult struct {
	Accepted        bool
	Reason, Message string
	Unresolved      string // as in PolicyResult
	// Invalid are the values of the rule's spec that were ignored, each
	// naming the field and the value (ValuesValid).
	Invalid []string
	fqdn    string // canonical; "" when not valid
}

// Result is the table and the status of every policy and host rule, keyed
// by "namespace/name".
type Result struct {
	// Records are sorted by fqdn; each probed member carries its health
	// check (Member.check).
	Records   []*gslbv1.Record
	Policies  map[string]*PolicyResult
	HostRules map[string]*HostRuleResult
	// KeptExpired are FQDNs served by members of expired clusters because
	// no other member is left.
	KeptExpired []string
	// OutOfZone are matched FQDNs outside every zone: not served.
	OutOfZone []string
	// notes is what the per-cluster status adds about each cluster: the
	// kinds it does not serve (optional.go), why it is drained (drain.go);
	// kept for the status of a merged result (partial.go).
	notes map[string]string
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
	routing   *routingPlan // routing.go
}

type hostRule struct {
	obj   *v1alpha1.GSLBHostRule
	res   *HostRuleResult
	fqdn  string
	split map[string]v1alpha1.TrafficSplit
	extra []*gslbv1.Member
	// public are the addresses answered for a cluster's members (valid,
	// canonical, sorted), by cluster (hostpublic.go).
	public map[string][]string
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
// function: same input, same output. It runs as named phases (phases.go),
// each a small function of its own:
//
//  1. compilePolicies: validate the policies, oldest first;
//  2. matchObjects: which objects of which clusters each policy selects, by FQDN;
//  3. compileHostRules: validate the per-FQDN overrides;
//  4. then for each FQDN: resolveOwner (the oldest matching policy; the
//     others are conflicts), recordSettings (ttl, algorithm, down response,
//     split, health check), memberEntries (the members, their readiness and
//     checks; kept members of clusters not synced; third-party members) and
//     chooseMembers (the grace rule of expired clusters), then routeRecord
//     (sites, algorithm) and drainRecord (the drained members down);
//  5. clusterStatus: each policy's per-cluster state, counted in the table,
//     with the notes of its clusters (kinds not served, drains).
func Build(in Input) Result {
	res := Result{Policies: map[string]*PolicyResult{}, HostRules: map[string]*HostRuleResult{}}
	known := clusterIndex(in.Clusters)
	accepted := compilePolicies(in.Policies, known, in.Clusters, res.Policies)
	matches, outOfZone := matchObjects(accepted, in, known)
	res.OutOfZone = outOfZone
	rules := compileHostRules(in.HostRules, known, in.Zones, res.HostRules)
	drains := compileDrains(in.Drains, accepted)
	keptOwners := keptFQDNs(accepted, in, known)
	for _, f := range fqdnList(matches, rules, keptOwners) {
		owner := resolveOwner(f, matches[f], accepted, keptOwners)
		rec, set := recordSettings(f, policyAt(accepted, owner), rules[f])
		live, expired := memberEntries(f, policyAt(accepted, owner), ownerMatches(matches[f], owner), in, known, rules[f], set)
		members, keptExpired := chooseMembers(live, expired)
		if keptExpired {
			res.KeptExpired = append(res.KeptExpired, f)
		}
		var checks []*health.Check
		rec.Members, checks = dedupe(members)
		routeRecord(rec, policyAt(accepted, owner), rules[f])
		drainRecord(rec, drains)
		if len(rec.Members) > 0 {
			health.WriteChecks(rec.Members, checks)
			res.Records = append(res.Records, rec)
		}
	}
	res.notes = clusterNotes(in.Clusters, drains)
	policyClusters(accepted, in.Clusters, res)
	return res
}

// policyClusters fills in each accepted policy's per-cluster state.
func policyClusters(accepted []*policy, clusters []ClusterView, res Result) {
	records, state, kept := indexRecords(res.Records), stateOf(clusters), FQDNSet(res.KeptExpired)
	for _, p := range accepted {
		p.res.Clusters = clusterStatus(p.clusters, state, p.res.FQDNs, records, kept, res.notes)
	}
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

func SortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
