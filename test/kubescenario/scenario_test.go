package kubescenario

import (
	"context"
	"testing"
	"time"

	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"
	"github.com/gslbdns/gslb/test/internal/testhost"
	"github.com/gslbdns/gslb/test/k8senv"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// repoRoot is the repository's root, which holds deploy/crds.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := testhost.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// slice returns the scenario's EndpointSlice of service: its endpoints'
// addresses with their readiness.
func slice(t *testing.T, ctx context.Context, cs kubernetes.Interface, ns, service string) (*discoveryv1.EndpointSlice, map[string]bool) {
	t.Helper()
	es, err := cs.DiscoveryV1().EndpointSlices(ns).Get(ctx, EndpointSliceName(service), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if es.Labels[discoveryv1.LabelServiceName] != service || es.Labels[discoveryv1.LabelManagedBy] != EndpointSliceManager {
		t.Errorf("%s labels %v", es.Name, es.Labels)
	}
	if es.AddressType != discoveryv1.AddressTypeIPv4 || len(es.Ports) != 1 || *es.Ports[0].Port != 80 || *es.Ports[0].Protocol != "TCP" {
		t.Errorf("%s addressType %s ports %v", es.Name, es.AddressType, es.Ports)
	}
	got := map[string]bool{}
	for _, e := range es.Endpoints {
		if len(e.Addresses) != 1 || e.Conditions.Ready == nil {
			t.Fatalf("%s endpoint %+v", es.Name, e)
		}
		got[e.Addresses[0]] = *e.Conditions.Ready
	}
	return es, got
}

func policy(t *testing.T, ctx context.Context, cfg *rest.Config) *v1alpha1.GlobalDeploymentPolicy {
	t.Helper()
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	u, err := dyn.Resource(v1alpha1.GlobalDeploymentPolicies).Namespace(PolicyNS).Get(ctx, GDPName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var p v1alpha1.GlobalDeploymentPolicy
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &p); err != nil {
		t.Fatal(err)
	}
	return &p
}

// TestScenario installs the scenario into real kube-apiservers: the objects
// the API server accepts are the ones the syncer will read.
func TestScenario(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	env := k8senv.Start(t, Members...)
	cfgs := map[string]*rest.Config{}
	for _, n := range Members {
		cfgs[n] = env.Cluster(n).Config()
	}
	root := repoRoot(t)
	cs := env.Cluster("s2").Client()

	t.Run("Install", func(t *testing.T) {
		// s1az1 holds the lab's policy (with a health check), s1az2 Install's.
		hc := &v1alpha1.HealthCheck{Type: v1alpha1.HealthCheckHTTP, Port: SitePort, Path: "/",
			Interval: &metav1.Duration{Duration: time.Second}, Timeout: &metav1.Duration{Duration: 500 * time.Millisecond}, Rise: 2, Fall: 3}
		// As in the lab, hello in s2 is published by a Gateway and an HTTPRoute.
		if err := InstallWith(ctx, root, k8senv.NonAdmin.Name(), cfgs["s1az1"], cfgs, InstallOptions{HealthCheck: hc, Gateway: []string{"s2"}}); err != nil {
			t.Fatal(err)
		}
		for _, n := range Members {
			if n == "s2" {
				checkGatewayPublished(t, ctx, env.Cluster(n).Client(), cfgs[n])
			} else {
				checkLBPublished(t, ctx, env.Cluster(n).Client(), n)
			}
		}
		if err := Install(ctx, root, k8senv.NonAdmin.Name(), cfgs["s1az2"], cfgs); err != nil {
			t.Fatalf("a second Install: %v", err)
		}
		if got := policy(t, ctx, cfgs["s1az1"]).Spec.HealthCheck; got == nil || *got.Interval != *hc.Interval || *got.Timeout != *hc.Timeout ||
			got.Port != SitePort || got.Rise != 2 || got.Fall != 3 || got.Type != v1alpha1.HealthCheckHTTP || got.Path != "/" {
			t.Errorf("InstallWith's policy healthCheck %+v, want %+v", got, hc)
		}
		if p := policy(t, ctx, cfgs["s1az2"]); p.Spec.HealthCheck != nil || len(p.Spec.TrafficSplit) != 3 {
			t.Errorf("Install's policy: healthCheck %+v, trafficSplit %v; want none, 6:4:2", p.Spec.HealthCheck, p.Spec.TrafficSplit)
		}
		// The second Install keeps s2's Service (AlreadyExists) and adds an Ingress.
		for _, n := range Members {
			checkIngress(t, ctx, env.Cluster(n).Client(), n)
			checkReady(t, ctx, env.Cluster(n).Client(), n)
		}
	})

	t.Run("EndpointSlice", func(t *testing.T) {
		if err := EndpointSlice(ctx, cs, AppNS, "web", 2, 1); err != nil {
			t.Fatal(err)
		}
		_, eps := slice(t, ctx, cs, AppNS, "web")
		if len(eps) != 3 || !eps["192.0.2.1"] || !eps["192.0.2.2"] || eps["192.0.2.3"] {
			t.Errorf("2 ready, 1 not: %v", eps)
		}
		if err := EndpointSlice(ctx, cs, AppNS, "web", 1, 0); err != nil {
			t.Fatalf("again (update): %v", err)
		}
		if _, eps := slice(t, ctx, cs, AppNS, "web"); len(eps) != 1 || !eps["192.0.2.1"] {
			t.Errorf("1 ready: %v", eps)
		}
		if err := SetReady(ctx, cs, AppNS, "web", 0, 254); err != nil {
			t.Fatal(err)
		}
		if _, eps := slice(t, ctx, cs, AppNS, "web"); len(eps) != 254 || eps["192.0.2.1"] || eps["192.0.2.254"] {
			t.Errorf("254 not ready: %d endpoints", len(eps))
		}
		if err := SetReady(ctx, cs, AppNS, "web", 0, 0); err != nil {
			t.Fatal(err)
		}
		if _, eps := slice(t, ctx, cs, AppNS, "web"); len(eps) != 0 {
			t.Errorf("none: %v", eps)
		}
		for _, n := range [][2]int{{-1, 0}, {0, -1}, {200, 55}} {
			if err := SetReady(ctx, cs, AppNS, "web", n[0], n[1]); err == nil {
				t.Errorf("SetReady %d ready %d not ready: no error", n[0], n[1])
			}
		}
		if err := DeleteEndpointSlice(ctx, cs, AppNS, "web"); err != nil {
			t.Fatal(err)
		}
		if err := DeleteEndpointSlice(ctx, cs, AppNS, "web"); err != nil {
			t.Errorf("deleting an absent slice: %v", err)
		}
		if err := SetReady(ctx, cs, AppNS, "web", 1, 0); !apierrors.IsNotFound(err) {
			t.Errorf("SetReady without a slice: %v, want NotFound", err)
		}
	})

	t.Run("Helpers", func(t *testing.T) {
		// Service and Ingress write a ready slice, even when the object exists.
		if _, err := Service(ctx, cs, AppNS, "lb", nil, "lb.avi.iberia.local", "127.0.0.31"); err != nil {
			t.Fatal(err)
		}
		if err := Ingress(ctx, cs, AppNS, "ing", nil, "ing.avi.iberia.local", "127.0.0.32"); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"lb", "ing"} {
			if _, eps := slice(t, ctx, cs, AppNS, s); len(eps) != ReadyEndpoints {
				t.Errorf("%s: %v", s, eps)
			}
			must(t, SetReady(ctx, cs, AppNS, s, 0, 1))
		}
		if _, err := Service(ctx, cs, AppNS, "lb", nil, "lb.avi.iberia.local", "127.0.0.31"); !apierrors.IsAlreadyExists(err) {
			t.Errorf("Service again: %v, want AlreadyExists", err)
		}
		if err := Ingress(ctx, cs, AppNS, "ing", nil, "ing.avi.iberia.local", "127.0.0.32"); !apierrors.IsAlreadyExists(err) {
			t.Errorf("Ingress again: %v, want AlreadyExists", err)
		}
		for _, s := range []string{"lb", "ing"} {
			if _, eps := slice(t, ctx, cs, AppNS, s); len(eps) != ReadyEndpoints || !eps["192.0.2.1"] {
				t.Errorf("%s after a second create: %v", s, eps)
			}
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// checkLBPublished checks hello in cluster n: a LoadBalancer Service and an
// Ingress labelled app: gslb with n's address, 3 ready endpoints.
func checkLBPublished(t *testing.T, ctx context.Context, c kubernetes.Interface, n string) {
	t.Helper()
	svc, err := c.CoreV1().Services(AppNS).Get(ctx, "hello", metav1.GetOptions{})
	if err != nil || svc.Spec.Type != corev1.ServiceTypeLoadBalancer || svc.Labels["app"] != "gslb" ||
		len(svc.Status.LoadBalancer.Ingress) != 1 || svc.Status.LoadBalancer.Ingress[0].IP != LBAddress[n] {
		t.Errorf("%s: Service hello %v (%v), want a LoadBalancer labelled app: gslb at %s", n, svc, err, LBAddress[n])
	}
	checkIngress(t, ctx, c, n)
	checkReady(t, ctx, c, n)
}

func checkIngress(t *testing.T, ctx context.Context, c kubernetes.Interface, n string) {
	t.Helper()
	in, err := c.NetworkingV1().Ingresses(AppNS).Get(ctx, "hello", metav1.GetOptions{})
	if err != nil || len(in.Status.LoadBalancer.Ingress) != 1 || in.Status.LoadBalancer.Ingress[0].IP != LBAddress[n] {
		t.Errorf("%s: Ingress hello %v (%v)", n, in, err)
	}
}

func checkReady(t *testing.T, ctx context.Context, c kubernetes.Interface, n string) {
	t.Helper()
	_, eps := slice(t, ctx, c, AppNS, "hello")
	if len(eps) != ReadyEndpoints || !eps["192.0.2.1"] || !eps["192.0.2.2"] || !eps["192.0.2.3"] {
		t.Errorf("%s: hello's endpoints %v, want %d ready", n, eps, ReadyEndpoints)
	}
}

// checkGatewayPublished checks hello in s2: no Ingress; the ClusterIP
// Service hello, unlabelled, with 3 ready endpoints; the Gateway with
// status address 127.0.0.13; the HTTPRoute labelled app: gslb, attached to
// it and accepted, whose backend is hello.
func checkGatewayPublished(t *testing.T, ctx context.Context, c kubernetes.Interface, cfg *rest.Config) {
	t.Helper()
	if _, err := c.NetworkingV1().Ingresses(AppNS).Get(ctx, "hello", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("s2: Ingress hello: %v, want NotFound", err)
	}
	svc, err := c.CoreV1().Services(AppNS).Get(ctx, "hello", metav1.GetOptions{})
	if err != nil || svc.Spec.Type != corev1.ServiceTypeClusterIP || len(svc.Labels) != 0 {
		t.Errorf("s2: Service hello %v (%v), want an unlabelled ClusterIP Service", svc, err)
	}
	checkReady(t, ctx, c, "s2")
	dyn, err := dynamic.NewForConfig(cfg)
	must(t, err)
	gw, err := dyn.Resource(Gateways).Namespace(AppNS).Get(ctx, GatewayName, metav1.GetOptions{})
	must(t, err)
	addrs, _, _ := unstructured.NestedSlice(gw.Object, "status", "addresses")
	if len(addrs) != 1 || addrs[0].(map[string]any)["value"] != LBAddress["s2"] {
		t.Errorf("s2: Gateway %s status addresses %v, want %s", GatewayName, addrs, LBAddress["s2"])
	}
	r, err := dyn.Resource(HTTPRoutes).Namespace(AppNS).Get(ctx, "hello", metav1.GetOptions{})
	must(t, err)
	parents, _, _ := unstructured.NestedSlice(r.Object, "spec", "parentRefs")
	accepted, _, _ := unstructured.NestedSlice(r.Object, "status", "parents")
	rules, _, _ := unstructured.NestedSlice(r.Object, "spec", "rules")
	if r.GetLabels()["app"] != "gslb" || len(parents) != 1 || parents[0].(map[string]any)["name"] != GatewayName || len(accepted) != 1 || len(rules) != 1 {
		t.Errorf("s2: HTTPRoute hello labels %v parentRefs %v status parents %v rules %v", r.GetLabels(), parents, accepted, rules)
	}
}
