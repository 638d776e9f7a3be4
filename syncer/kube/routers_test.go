package kube

import (
	"reflect"
	"testing"

	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"
	"github.com/gslbdns/gslb/syncer/kube/table"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

// TestRouteRouterAddresses: what a Route answers and probes, from its
// router's Service, its annotation and the router's canonical hostname,
// in that precedence (routers.go).
func TestRouteRouterAddresses(t *testing.T) {
	store := cache.NewStore(cache.MetaNamespaceKeyFunc)
	lb := func(name string, typ corev1.ServiceType, ips ...string) *corev1.Service {
		s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "openshift-ingress", Name: name}, Spec: corev1.ServiceSpec{Type: typ}}
		for _, ip := range ips {
			s.Status.LoadBalancer.Ingress = append(s.Status.LoadBalancer.Ingress, corev1.LoadBalancerIngress{IP: ip})
		}
		return s
	}
	for _, s := range []*corev1.Service{
		lb("router-default", corev1.ServiceTypeLoadBalancer, "192.0.2.20", "2001:db8::20", "192.0.2.20"),
		lb("router-pending", corev1.ServiceTypeLoadBalancer),
		lb("router-internal", corev1.ServiceTypeClusterIP),
	} {
		if err := store.Add(s); err != nil {
			t.Fatal(err)
		}
	}
	lookup := routerLookup(store, "openshift-ingress")
	route := func(router, canonical, public string) *table.OpenShiftRoute {
		r := &table.OpenShiftRoute{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "hello"},
			Spec: table.OpenShiftRouteSpec{Host: "hello.example.net", To: table.OpenShiftRouteTarget{Name: "hello"}},
			Status: table.OpenShiftRouteStatus{Ingress: []table.OpenShiftRouteIngress{{RouterName: router, RouterCanonicalHostname: canonical,
				Conditions: []table.OpenShiftRouteCondition{{Type: "Admitted", Status: "True"}}}}}}
		if public != "" {
			r.Annotations = map[string]string{v1alpha1.AnnotationPublicAddresses: public}
		}
		return r
	}
	const canon = "router-default.apps.example.net"
	for _, tc := range []struct {
		name    string
		r       *table.OpenShiftRoute
		lookup  RouterLookup
		targets []table.AnswerTarget // answered, probed
		hosts   []string             // answered as CNAMEs
		absent  bool
	}{
		{name: "router Service IPs over the canonical hostname", r: route("default", canon, ""), lookup: lookup,
			targets: []table.AnswerTarget{{Answer: "192.0.2.20", Probe: "192.0.2.20"}, {Answer: "2001:db8::20", Probe: "2001:db8::20"}}},
		{name: "annotation answered, probed at the router's address of its family", r: route("default", canon, "203.0.113.5,2001:db8::5"), lookup: lookup,
			targets: []table.AnswerTarget{{Answer: "2001:db8::5", Probe: "2001:db8::20"}, {Answer: "203.0.113.5", Probe: "192.0.2.20"}}},
		{name: "router Service without address: the canonical hostname", r: route("pending", canon, ""), lookup: lookup,
			hosts: []string{canon + "."}},
		{name: "router Service not a LoadBalancer: the canonical hostname", r: route("internal", canon, ""), lookup: lookup,
			hosts: []string{canon + "."}},
		{name: "no router Service: the canonical hostname", r: route("sharded", canon, ""), lookup: lookup,
			hosts: []string{canon + "."}},
		{name: "routers not read (router-namespace=none)", r: route("default", canon, ""), lookup: nil,
			hosts: []string{canon + "."}},
		{name: "annotation without router address: answered and probed", r: route("pending", "", "203.0.113.5"), lookup: lookup,
			targets: []table.AnswerTarget{{Answer: "203.0.113.5", Probe: "203.0.113.5"}}},
		{name: "nothing to answer: left out", r: route("pending", "", ""), lookup: lookup, absent: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, ok := table.OpenShiftRouteObject(tc.r)
			if !ok {
				t.Fatalf("OpenShiftRouteObject: not a source")
			}
			other := table.Object{Kind: "Service", Name: "kept"}
			out := withRouterAddresses([]table.Object{other, o}, tc.lookup)
			if tc.absent {
				if len(out) != 1 || out[0].Name != "kept" {
					t.Errorf("objects %+v, want the Service only", out)
				}
				return
			}
			if len(out) != 2 || out[0].Name != "kept" {
				t.Fatalf("objects %+v", out)
			}
			if got := table.AnswerTargets(&out[1]); !reflect.DeepEqual(got, tc.targets) && len(got)+len(tc.targets) > 0 {
				t.Errorf("answer targets %+v, want %+v", got, tc.targets)
			}
			if got := table.AnsweredHostnames(&out[1]); !reflect.DeepEqual(got, tc.hosts) {
				t.Errorf("answered hostnames %v, want %v", got, tc.hosts)
			}
		})
	}
}
