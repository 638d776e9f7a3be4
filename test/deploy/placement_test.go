package deploy_test

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// dnsNodeLabel is the node label the DaemonSet is confined to by default.
var dnsNodeLabel = map[string]string{"gslb.gslbdns.io/dns": "true"}

// siteLabel names a release's site on its Pods.
const siteLabel = "gslb.gslbdns.io/site"

// leaseRule is all the leader-election Role grants.
var leaseRule = rbacv1.PolicyRule{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"get", "create", "update"}}

// checkPlacement checks where and how the DaemonSet's Pods run: on labelled
// DNS nodes, replaced by a surge update, spread over zones, under a
// PodDisruptionBudget of one, labelled with their site.
func checkPlacement(t *testing.T, objs []*unstructured.Unstructured, ds appsv1.DaemonSet, w expect) {
	t.Helper()
	pod := ds.Spec.Template
	if !maps.Equal(pod.Spec.NodeSelector, dnsNodeLabel) {
		t.Errorf("nodeSelector %v, want %v (DNS nodes only)", pod.Spec.NodeSelector, dnsNodeLabel)
	}
	// A surge update (test/e2e/cluster TestFaults measures both strategies).
	if u := ds.Spec.UpdateStrategy; u.Type != appsv1.RollingUpdateDaemonSetStrategyType || u.RollingUpdate == nil ||
		u.RollingUpdate.MaxUnavailable == nil || u.RollingUpdate.MaxUnavailable.String() != "0" ||
		u.RollingUpdate.MaxSurge == nil || u.RollingUpdate.MaxSurge.String() != "1" {
		t.Errorf("updateStrategy %+v, want RollingUpdate, maxUnavailable 0, maxSurge 1", u)
	}
	if got := pod.Labels[siteLabel]; got != w.site {
		t.Errorf("Pod label %s=%q, want %q", siteLabel, got, w.site)
	}
	checkSpread(t, pod.Spec.TopologySpreadConstraints, pod.Labels)

	pdbs := filterKind(objs, "PodDisruptionBudget")
	if len(pdbs) != 1 {
		t.Fatalf("want one PodDisruptionBudget, got %d", len(pdbs))
	}
	var pdb policyv1.PodDisruptionBudget
	convert(t, pdbs[0], &pdb)
	// minAvailable, never maxUnavailable: the disruption controller cannot
	// count a DaemonSet's Pods for the latter (test/e2e/cluster TestFaults).
	if pdb.Spec.MinAvailable == nil || pdb.Spec.MinAvailable.String() != "1" || pdb.Spec.MaxUnavailable != nil ||
		pdb.Spec.Selector == nil || !maps.Equal(pdb.Spec.Selector.MatchLabels, ds.Spec.Selector.MatchLabels) {
		t.Errorf("PodDisruptionBudget %s %+v: want minAvailable 1 over the DaemonSet's selector %v", pdb.Name, pdb.Spec, ds.Spec.Selector.MatchLabels)
	}
}

// checkSpread wants one soft zone spread over the DaemonSet's own Pods.
func checkSpread(t *testing.T, cs []corev1.TopologySpreadConstraint, podLabels map[string]string) {
	t.Helper()
	if len(cs) != 1 {
		t.Fatalf("topologySpreadConstraints %+v, want one", cs)
	}
	c := cs[0]
	if c.TopologyKey != "topology.kubernetes.io/zone" || c.MaxSkew != 1 || c.WhenUnsatisfiable != corev1.ScheduleAnyway ||
		c.LabelSelector == nil || !labelsMatch(c.LabelSelector.MatchLabels, podLabels) {
		t.Errorf("topology spread %+v: want zones, maxSkew 1, ScheduleAnyway, over the DaemonSet's Pods %v", c, podLabels)
	}
}

// checkLeaseRole wants the leader-election grant when w.leaseRole, and no
// Role otherwise (but the DNSEndpoint Role, checked by checkDelegation); in
// every case no ClusterRole grants anything on leases.
func checkLeaseRole(t *testing.T, objs []*unstructured.Unstructured, w expect) {
	t.Helper()
	roles := slices.DeleteFunc(filterKind(objs, "Role"), func(o *unstructured.Unstructured) bool { return o == dnsEndpointRole(objs) })
	if !w.leaseRole {
		if len(roles) != 0 {
			t.Errorf("want no Role, got %s", roles[0].GetName())
		}
	} else {
		if len(roles) != 1 {
			t.Fatalf("want one Role (leases), got %d", len(roles))
		}
		checkLeaseGrant(t, objs, roles[0], w.serviceAccount, w.namespace)
	}
	for _, o := range filterKind(objs, "ClusterRole") {
		var cr rbacv1.ClusterRole
		convert(t, o, &cr)
		for _, r := range cr.Rules {
			if slices.Contains(r.Resources, "leases") {
				t.Errorf("ClusterRole %s grants %v on leases: the lease grant is a Role in one namespace", cr.Name, r.Verbs)
			}
		}
	}
}

// checkLeaseGrant checks that role grants exactly leaseRule in namespace ns,
// bound by a RoleBinding to the ServiceAccount ns/sa.
func checkLeaseGrant(t *testing.T, objs []*unstructured.Unstructured, o *unstructured.Unstructured, sa, ns string) {
	t.Helper()
	var role rbacv1.Role
	convert(t, o, &role)
	if role.Namespace != ns || len(role.Rules) != 1 || fmt.Sprint(role.Rules[0]) != fmt.Sprint(leaseRule) {
		t.Errorf("Role %s/%s rules %+v, want only %+v in namespace %s", role.Namespace, role.Name, role.Rules, leaseRule, ns)
	}
	for _, b := range filterKind(objs, "RoleBinding") {
		var rb rbacv1.RoleBinding
		convert(t, b, &rb)
		if rb.RoleRef.Kind != "Role" || rb.RoleRef.Name != role.Name {
			continue
		}
		if rb.Namespace != ns || len(rb.Subjects) != 1 || rb.Subjects[0].Kind != "ServiceAccount" ||
			rb.Subjects[0].Name != sa || rb.Subjects[0].Namespace != ns {
			t.Errorf("RoleBinding %s/%s subjects %+v, want the ServiceAccount %s/%s", rb.Namespace, rb.Name, rb.Subjects, ns, sa)
		}
		return
	}
	t.Errorf("no RoleBinding binds the Role %s", role.Name)
}
