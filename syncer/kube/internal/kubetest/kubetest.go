// Package kubetest holds the objects the Kubernetes source's tests share
// (syncer/kube and syncer/kube/table): a policy and the Gateway API
// objects of one Gateway. It imports neither package, so that the table's
// own tests can use it.
package kubetest

import (
	"time"

	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Hello is the FQDN of the demo app in the tests' scenario.
const Hello = "hello.avi.iberia.local."

// T0 is the tests' epoch: the policies' creation times count from it.
var T0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Policy is the policy name in namespace gslb, created age seconds after
// T0, selecting app=gslb with a 6/4/2 WRR split over s1az1, s1az2 and s2,
// ttl 2, then changed by mut.
func Policy(name string, age int, mut ...func(*v1alpha1.GlobalDeploymentPolicySpec)) *v1alpha1.GlobalDeploymentPolicy {
	ttl := int32(2)
	p := &v1alpha1.GlobalDeploymentPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: "gslb", Name: name, CreationTimestamp: metav1.NewTime(T0.Add(time.Duration(age) * time.Second))},
		Spec: v1alpha1.GlobalDeploymentPolicySpec{
			MatchRules: v1alpha1.MatchRules{AppSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "gslb"}}},
			TrafficSplit: []v1alpha1.TrafficSplit{
				{Cluster: "s1az1", Weight: 6}, {Cluster: "s1az2", Weight: 4}, {Cluster: "s2", Weight: 2},
			},
			TTL:       &ttl,
			Algorithm: v1alpha1.AlgorithmWRR,
		},
	}
	for _, m := range mut {
		m(&p.Spec)
	}
	return p
}

// Ptr returns a pointer to v.
func Ptr[T any](v T) *T { return &v }

// Gateway is infra/gw with listeners "web" (hello.example.net, port 80),
// "wild" (*.example.org, 8080) and "any" (no hostname, 9090).
func Gateway(addrs ...gwv1.GatewayStatusAddress) *gwv1.Gateway {
	return &gwv1.Gateway{
		ObjectMeta: metav1.ObjectMeta{Namespace: "infra", Name: "gw"},
		Spec: gwv1.GatewaySpec{Listeners: []gwv1.Listener{
			{Name: "web", Hostname: Ptr(gwv1.Hostname("hello.example.net")), Port: 80},
			{Name: "wild", Hostname: Ptr(gwv1.Hostname("*.example.org")), Port: 8080},
			{Name: "any", Port: 9090},
		}},
		Status: gwv1.GatewayStatus{Addresses: addrs},
	}
}

// IP is a Gateway's IP address.
func IP(a string) gwv1.GatewayStatusAddress { return gwv1.GatewayStatusAddress{Value: a} }

// Parent is a reference to infra/gw, to its listener section ("" for all).
func Parent(section string) gwv1.ParentReference {
	p := gwv1.ParentReference{Namespace: Ptr(gwv1.Namespace("infra")), Name: "gw"}
	if section != "" {
		p.SectionName = Ptr(gwv1.SectionName(section))
	}
	return p
}

// Accepted is a route's status: accepted by each of refs.
func Accepted(refs ...gwv1.ParentReference) gwv1.RouteStatus {
	var st gwv1.RouteStatus
	for _, r := range refs {
		st.Parents = append(st.Parents, gwv1.RouteParentStatus{ParentRef: r, ControllerName: "example.net/gw",
			Conditions: []metav1.Condition{{Type: "Accepted", Status: metav1.ConditionTrue}}})
	}
	return st
}

// SvcRef is a route's reference to the Service name.
func SvcRef(name string) gwv1.BackendRef {
	return gwv1.BackendRef{BackendObjectReference: gwv1.BackendObjectReference{Name: gwv1.ObjectName(name)}}
}
