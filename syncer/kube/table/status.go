package table

import (
	"fmt"
	"slices"
	"strings"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"
	"github.com/gslbdns/gslb/syncer/health"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// maxStatusFQDNs bounds the FQDNs listed in a policy's status: with 10,000
// matched FQDNs the full list made a 600 KB object written on every change.
// maxStatusMembers bounds its unhealthy members in the same way.
const (
	maxStatusFQDNs   = 100
	maxStatusMembers = 100
	maxRuleMembers   = 256
)

// ServedIndex is the table last published, by FQDN.
type ServedIndex map[string]*gslbv1.Record

// IndexServed indexes recs by FQDN.
func IndexServed(recs []*gslbv1.Record) ServedIndex {
	out := make(ServedIndex, len(recs))
	for _, r := range recs {
		out[r.Fqdn] = r
	}
	return out
}

func memberHealth(f string, m *gslbv1.Member) v1alpha1.MemberHealth {
	return v1alpha1.MemberHealth{FQDN: f, Cluster: m.Cluster, Target: m.Address + m.Hostname, Health: health.Name(m.Health), Reason: m.HealthReason}
}

// PolicyStatus turns a PolicyResult into the status to write, keeping the
// transition times of conditions that did not change. served holds the
// members' health as last published (nil: none yet), push what the name
// servers acknowledged.
func PolicyStatus(p *v1alpha1.GlobalDeploymentPolicy, r *PolicyResult, states map[string]ClusterState, served ServedIndex, push Push) v1alpha1.GlobalDeploymentPolicyStatus {
	st := v1alpha1.GlobalDeploymentPolicyStatus{
		ObservedGeneration: p.Generation,
		MatchedFQDNs:       slices.Clone(r.FQDNs[:min(len(r.FQDNs), maxStatusFQDNs)]),
		FQDNCount:          int32(len(r.FQDNs)),
		Conflicts:          slices.Clone(r.Conflicts),
		Clusters:           slices.Clone(r.Clusters),
		Conditions:         slices.Clone(p.Status.Conditions),
	}
	acc := metav1.Condition{Type: v1alpha1.ConditionAccepted, Status: metav1.ConditionTrue, Reason: r.Reason, Message: r.Message, ObservedGeneration: p.Generation}
	if !r.Accepted {
		acc.Status = metav1.ConditionFalse
	} else if len(r.Conflicts) > 0 {
		acc.Reason = v1alpha1.ReasonConflict
		acc.Message = fmt.Sprintf("%d FQDN(s) in conflict with another policy; the oldest policy serves them: %s", len(r.Conflicts), r.Conflicts[0])
	}
	meta.SetStatusCondition(&st.Conditions, acc)
	meta.SetStatusCondition(&st.Conditions, synced(r, states, push, p.Generation))
	meta.SetStatusCondition(&st.Conditions, resolvedRefs(r.Unresolved, p.Generation))
	meta.SetStatusCondition(&st.Conditions, ObjectsValid(r.Invalid, p.Generation))
	healthy := map[string]int32{}
	for _, f := range r.FQDNs {
		rec := served[f]
		if rec == nil {
			continue
		}
		for _, m := range rec.Members {
			switch {
			case m.Health != gslbv1.Health_HEALTH_DOWN:
				healthy[m.Cluster]++
			case len(st.UnhealthyMembers) < maxStatusMembers:
				st.UnhealthyMembers = append(st.UnhealthyMembers, memberHealth(f, m))
			}
		}
	}
	for i := range st.Clusters {
		if served == nil {
			st.Clusters[i].Healthy = st.Clusters[i].Members
		} else {
			st.Clusters[i].Healthy = min(healthy[st.Clusters[i].Cluster], st.Clusters[i].Members)
		}
	}
	return st
}

// synced is the Synced condition: True once every name server
// acknowledged the table last published, built from every matched cluster.
// It does not name the table's generation: every table (a health change of
// any FQDN) would then rewrite the status of every policy.
func synced(r *PolicyResult, states map[string]ClusterState, push Push, gen int64) metav1.Condition {
	c := metav1.Condition{Type: v1alpha1.ConditionSynced, Status: metav1.ConditionFalse, ObservedGeneration: gen}
	var down []string
	for _, cl := range r.Clusters {
		if states[cl.Cluster] != ClusterUp {
			down = append(down, cl.Cluster+" "+strings.ToLower(cl.State))
		}
	}
	switch {
	case !r.Accepted:
		c.Reason, c.Message = "NotAccepted", "the policy is not accepted"
	case len(down) > 0:
		c.Reason, c.Message = v1alpha1.ReasonClusterUnreachable, "unreachable member clusters: "+strings.Join(down, ", ")
	case push.Records == nil:
		c.Reason, c.Message = v1alpha1.ReasonNotAcknowledged, "no table published to the name servers yet"
	case len(push.Pending) > 0:
		c.Reason = v1alpha1.ReasonNotAcknowledged
		c.Message = fmt.Sprintf("the table last published is acknowledged by %d of %d name servers; not by %s",
			push.Acknowledged(), push.Targets, strings.Join(push.Pending, ", "))
	default:
		c.Status, c.Reason = metav1.ConditionTrue, v1alpha1.ReasonAcknowledged
		c.Message = fmt.Sprintf("the table built from every matched cluster is acknowledged by %d of %d name servers", push.Acknowledged(), push.Targets)
	}
	return c
}

func resolvedRefs(unresolved string, gen int64) metav1.Condition {
	c := metav1.Condition{Type: v1alpha1.ConditionResolvedRefs, Status: metav1.ConditionTrue, Reason: v1alpha1.ReasonResolvedRefs,
		Message: "every cluster named is a member", ObservedGeneration: gen}
	if unresolved != "" {
		c.Status, c.Reason, c.Message = metav1.ConditionFalse, v1alpha1.ReasonUnknownCluster, unresolved
	}
	return c
}

// HostRuleStatus turns a HostRuleResult into the status to write.
func HostRuleStatus(r *v1alpha1.GSLBHostRule, hr *HostRuleResult, served ServedIndex) v1alpha1.GSLBHostRuleStatus {
	st := v1alpha1.GSLBHostRuleStatus{ObservedGeneration: r.Generation, Conditions: slices.Clone(r.Status.Conditions)}
	c := metav1.Condition{Type: v1alpha1.ConditionAccepted, Status: metav1.ConditionTrue, Reason: hr.Reason, Message: hr.Message, ObservedGeneration: r.Generation}
	if !hr.Accepted {
		c.Status = metav1.ConditionFalse
	}
	meta.SetStatusCondition(&st.Conditions, c)
	meta.SetStatusCondition(&st.Conditions, resolvedRefs(hr.Unresolved, r.Generation))
	meta.SetStatusCondition(&st.Conditions, ValuesValid(hr.Invalid, r.Generation))
	if f, err := gslbv1.CanonicalName(r.Spec.FQDN); err == nil && hr.Accepted {
		if rec := served[f]; rec != nil {
			for _, m := range rec.Members[:min(len(rec.Members), maxRuleMembers)] {
				st.Members = append(st.Members, memberHealth(f, m))
			}
		}
	}
	return st
}

// AckWait is how long the status waits for every name server to
// acknowledge the table last published before it says one did not: a push
// takes milliseconds, and a status written at once would say "not
// acknowledged", then "acknowledged" a second later, two writes per change.
const AckWait = 5 * time.Second

// Push is what the name servers were given and acknowledged at one
// moment: the Synced condition's input.
type Push struct {
	Records []*gslbv1.Record // the table last published; nil: none yet
	Since   time.Time        // when it was published (or the source started)
	Targets int              // name servers
	Pending []string         // those that do not hold the table last published
}

// Settling returns how long the status still waits for acknowledgements
// (AckWait from the table's publication); 0 when every name server holds
// it, or the wait is over.
func (v Push) Settling(now time.Time) time.Duration {
	if v.Records != nil && len(v.Pending) == 0 {
		return 0
	}
	return max(AckWait-now.Sub(v.Since), 0)
}

// Acknowledged is how many name servers hold the table last published.
func (v Push) Acknowledged() int { return v.Targets - len(v.Pending) }
