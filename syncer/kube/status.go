package kube

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"
	"github.com/gslbdns/gslb/syncer/health"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// maxStatusFQDNs bounds the FQDNs listed in a policy's status: with 10,000
// matched FQDNs the full list made a 600 KB object written on every change.
// maxStatusMembers bounds its unhealthy members in the same way.
const (
	maxStatusFQDNs   = 100
	maxStatusMembers = 100
	maxRuleMembers   = 256
)

// servedIndex is the table last published, by FQDN.
type servedIndex map[string]*gslbv1.Record

func indexServed(recs []*gslbv1.Record) servedIndex {
	out := make(servedIndex, len(recs))
	for _, r := range recs {
		out[r.Fqdn] = r
	}
	return out
}

func memberHealth(f string, m *gslbv1.Member) v1alpha1.MemberHealth {
	return v1alpha1.MemberHealth{FQDN: f, Cluster: m.Cluster, Target: m.Address + m.Hostname, Health: health.Name(m.Health), Reason: m.HealthReason}
}

// statusWriter writes the policies' and host rules' status, only when it
// changed, and records an Event per new conflict.
type statusWriter struct {
	cc *configCluster
}

// PolicyStatus turns a PolicyResult into the status to write, keeping the
// transition times of conditions that did not change. served holds the
// members' health as last published (nil: none yet), push what the name
// servers acknowledged.
func PolicyStatus(p *v1alpha1.GlobalDeploymentPolicy, r *PolicyResult, states map[string]ClusterState, served servedIndex, push pushView) v1alpha1.GlobalDeploymentPolicyStatus {
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
	meta.SetStatusCondition(&st.Conditions, objectsValid(r.Invalid, p.Generation))
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
func synced(r *PolicyResult, states map[string]ClusterState, push pushView, gen int64) metav1.Condition {
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
	case push.records == nil:
		c.Reason, c.Message = v1alpha1.ReasonNotAcknowledged, "no table published to the name servers yet"
	case len(push.pending) > 0:
		c.Reason = v1alpha1.ReasonNotAcknowledged
		c.Message = fmt.Sprintf("the table last published is acknowledged by %d of %d name servers; not by %s",
			push.acknowledged(), push.targets, strings.Join(push.pending, ", "))
	default:
		c.Status, c.Reason = metav1.ConditionTrue, v1alpha1.ReasonAcknowledged
		c.Message = fmt.Sprintf("the table built from every matched cluster is acknowledged by %d of %d name servers", push.acknowledged(), push.targets)
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
func HostRuleStatus(r *v1alpha1.GSLBHostRule, hr *HostRuleResult, served servedIndex) v1alpha1.GSLBHostRuleStatus {
	st := v1alpha1.GSLBHostRuleStatus{ObservedGeneration: r.Generation, Conditions: slices.Clone(r.Status.Conditions)}
	c := metav1.Condition{Type: v1alpha1.ConditionAccepted, Status: metav1.ConditionTrue, Reason: hr.Reason, Message: hr.Message, ObservedGeneration: r.Generation}
	if !hr.Accepted {
		c.Status = metav1.ConditionFalse
	}
	meta.SetStatusCondition(&st.Conditions, c)
	meta.SetStatusCondition(&st.Conditions, resolvedRefs(hr.Unresolved, r.Generation))
	meta.SetStatusCondition(&st.Conditions, valuesValid(hr.Invalid, r.Generation))
	if f, err := gslbv1.CanonicalName(r.Spec.FQDN); err == nil && hr.Accepted {
		if rec := served[f]; rec != nil {
			for _, m := range rec.Members[:min(len(rec.Members), maxRuleMembers)] {
				st.Members = append(st.Members, memberHealth(f, m))
			}
		}
	}
	return st
}

// writing tells whether this syncer writes the status (it holds the Lease,
// or there is no election).
func (w *statusWriter) writing() bool {
	return w != nil && w.cc != nil && w.cc.writer.writing()
}

// write writes the status of every policy and host rule that res has a
// result for, with the health and acknowledgements of push.
func (w *statusWriter) write(ctx context.Context, res Result, states map[string]ClusterState, push pushView) error {
	if !w.writing() {
		return nil
	}
	var idx servedIndex
	if push.records != nil {
		idx = indexServed(push.records)
	}
	ps, rs := w.cc.list()
	var errs []error
	for _, p := range ps {
		r := res.Policies[Key(p)]
		if r == nil {
			continue
		}
		st := PolicyStatus(p, r, states, idx, push)
		for _, c := range r.Conflicts {
			if !slices.Contains(p.Status.Conflicts, c) { // new since the status last written
				w.cc.recorder.Event(p, corev1.EventTypeWarning, "FQDNConflict", c)
			}
		}
		if equality.Semantic.DeepEqual(st, p.Status) {
			continue
		}
		errs = append(errs, w.patch(ctx, p.Namespace, p.Name, v1alpha1.GlobalDeploymentPolicies.Resource, st))
	}
	for _, r := range rs {
		hr := res.HostRules[Key(r)]
		if hr == nil {
			continue
		}
		st := HostRuleStatus(r, hr, idx)
		if equality.Semantic.DeepEqual(st, r.Status) {
			continue
		}
		errs = append(errs, w.patch(ctx, r.Namespace, r.Name, v1alpha1.GSLBHostRules.Resource, st))
	}
	return errors.Join(errs...)
}

// patch replaces the whole status (a JSON patch "add" of /status): a merge
// patch would keep the fields the new status leaves out, such as the last
// unhealthy member once it recovers.
func (w *statusWriter) patch(ctx context.Context, ns, name, resource string, status any) error {
	body, err := json.Marshal([]map[string]any{{"op": "add", "path": "/status", "value": status}})
	if err != nil {
		return err
	}
	gvr := v1alpha1.SchemeGroupVersion.WithResource(resource)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err = w.cc.dyn.Resource(gvr).Namespace(ns).Patch(ctx, name, types.JSONPatchType, body, metav1.PatchOptions{}, "status")
	if err != nil {
		return fmt.Errorf("status of %s %s/%s: %w", resource, ns, name, err)
	}
	return nil
}
