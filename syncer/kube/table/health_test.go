package table

import (
	"fmt"
	"strings"
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"
	"github.com/gslbdns/gslb/syncer/health"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func ptr[T any](v T) *T { return &v }

// twoBackends is hello's Ingress in s1az1 with paths / → web and /api → api.
func twoBackends(web, api EndpointCount) []ClusterView {
	cs := scenario()
	o := &cs[0].Objects[0]
	o.Backends = Backends{{hello, []string{"api", "web"}}}
	cs[0].Endpoints = map[string]EndpointCount{"default/web": web, "default/api": api}
	for i := 1; i < 3; i++ {
		cs[i].Objects[0].Backends = Backends{{hello, []string{"hello"}}}
		cs[i].Endpoints = map[string]EndpointCount{"default/hello": {Ready: 2, Total: 2}}
	}
	return cs
}

func healthOf(r Result, fqdn, addr string) (gslbv1.Health, string) {
	for _, hr := range r.Records {
		rec := hr
		if rec.Fqdn != fqdn {
			continue
		}
		for _, m := range rec.Members {
			if m.Address == addr {
				return m.Health, m.HealthReason
			}
		}
	}
	return -1, "absent"
}

func TestEndpointReadiness(t *testing.T) {
	tests := []struct {
		name     string
		web, api EndpointCount
		mode     v1alpha1.EndpointReadiness
		down     bool
		reason   string
	}{
		{"all ready", EndpointCount{3, 3}, EndpointCount{1, 2}, "", false, ""},
		{"all (default): one backend down", EndpointCount{3, 3}, EndpointCount{0, 2}, "", true, "0/2 endpoints ready in service default/api"},
		{"all: explicit", EndpointCount{0, 3}, EndpointCount{2, 2}, v1alpha1.ReadinessAll, true, "0/3 endpoints ready in service default/web"},
		{"any: one backend ready", EndpointCount{3, 3}, EndpointCount{0, 2}, v1alpha1.ReadinessAny, false, ""},
		{"any: none ready", EndpointCount{0, 3}, EndpointCount{0, 2}, v1alpha1.ReadinessAny, true, "no backend ready: 0/2 endpoints ready in service default/api; 0/3 endpoints ready in service default/web"},
		{"ignore", EndpointCount{0, 3}, EndpointCount{0, 2}, v1alpha1.ReadinessIgnore, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := gdp("p", 0, func(s *v1alpha1.GlobalDeploymentPolicySpec) { s.EndpointReadiness = tt.mode })
			r := Build(Input{Clusters: twoBackends(tt.web, tt.api), Policies: []*v1alpha1.GlobalDeploymentPolicy{p}})
			h, why := healthOf(r, hello, "127.0.0.11")
			if (h == gslbv1.Health_HEALTH_DOWN) != tt.down || why != tt.reason {
				t.Errorf("s1az1 member: %v %q, want down=%v %q", h, why, tt.down, tt.reason)
			}
			if h, _ := healthOf(r, hello, "127.0.0.12"); h != gslbv1.Health_HEALTH_UNKNOWN {
				t.Errorf("s1az2 member %v, want served (unknown)", h)
			}
		})
	}
	// A Service without any EndpointSlice is not ready; a host rule's
	// readiness overrides the policy's.
	cs := twoBackends(EndpointCount{3, 3}, EndpointCount{})
	delete(cs[0].Endpoints, "default/api")
	r := Build(Input{Clusters: cs, Policies: []*v1alpha1.GlobalDeploymentPolicy{gdp("p", 0)}})
	if h, why := healthOf(r, hello, "127.0.0.11"); h != gslbv1.Health_HEALTH_DOWN || why != "no EndpointSlice for service default/api" {
		t.Errorf("no slice: %v %q", h, why)
	}
	hr := &v1alpha1.GSLBHostRule{ObjectMeta: metav1.ObjectMeta{Namespace: "gslb", Name: "h"},
		Spec: v1alpha1.GSLBHostRuleSpec{FQDN: hello, EndpointReadiness: v1alpha1.ReadinessAny}}
	r = Build(Input{Clusters: cs, Policies: []*v1alpha1.GlobalDeploymentPolicy{gdp("p", 0)}, HostRules: []*v1alpha1.GSLBHostRule{hr}})
	if h, _ := healthOf(r, hello, "127.0.0.11"); h != gslbv1.Health_HEALTH_UNKNOWN {
		t.Errorf("host rule Any: %v", h)
	}
}

// A member two objects give (Service and Ingress on one address) is ready
// when one of them is.
func TestSharedAddressReadyWhenOneIs(t *testing.T) {
	cs := scenario()
	cs[0].Objects[0].Backends = Backends{{hello, []string{"gone"}}}
	svc := obj("Service", "default", "hello", gslbApp, hello, "127.0.0.11")
	svc.Backends = Backends{{hello, []string{"hello"}}}
	cs[0].Objects = append(cs[0].Objects, svc)
	cs[0].Endpoints = map[string]EndpointCount{"default/hello": {1, 1}}
	r := Build(Input{Clusters: cs, Policies: []*v1alpha1.GlobalDeploymentPolicy{gdp("p", 0)}})
	if h, why := healthOf(r, hello, "127.0.0.11"); h != gslbv1.Health_HEALTH_UNKNOWN {
		t.Errorf("%v %q", h, why)
	}
}

func TestHealthCheckFromPolicyAndHostRule(t *testing.T) {
	cs := scenario()
	cs[0].Objects[0].Port = 8080 // as if a Service's first port
	p := gdp("p", 0, func(s *v1alpha1.GlobalDeploymentPolicySpec) {
		s.HealthCheck = &v1alpha1.HealthCheck{Type: v1alpha1.HealthCheckHTTP, Path: "/healthz", Interval: &metav1.Duration{Duration: 5 * time.Second}, Fall: 2}
	})
	r := Build(Input{Clusters: cs, Policies: []*v1alpha1.GlobalDeploymentPolicy{p}})
	if len(r.Records) != 1 || len(health.ChecksOf(r.Records[0])) != 3 {
		t.Fatalf("records %v", r.Records)
	}
	c0, c1 := health.ChecksOf(r.Records[0])[0], health.ChecksOf(r.Records[0])[1]
	want := health.Check{Type: health.TypeHTTP, Method: "GET", Path: "/healthz", Host: "hello.avi.iberia.local", ExpectStatus: "200-399",
		Port: 8080, Interval: 5 * time.Second, Timeout: time.Second, Rise: 2, Fall: 2}
	if *c0 != want {
		t.Errorf("s1az1 check\n got %+v\nwant %+v", *c0, want)
	}
	if c1.Port != 80 {
		t.Errorf("Ingress member probed on port %d, want 80", c1.Port)
	}

	// The host rule overrides the path and adds a probed third-party member;
	// type None in another rule turns probing off for its FQDN.
	hr := &v1alpha1.GSLBHostRule{ObjectMeta: metav1.ObjectMeta{Namespace: "gslb", Name: "h"},
		Spec: v1alpha1.GSLBHostRuleSpec{FQDN: hello, HealthCheck: &v1alpha1.HealthCheck{Path: "/ready", Port: 9000},
			ThirdPartyMembers: []v1alpha1.ThirdPartyMember{{Address: "192.0.2.7", Weight: 1}, {Hostname: "ext.example.", Weight: 1}}}}
	r = Build(Input{Clusters: cs, Policies: []*v1alpha1.GlobalDeploymentPolicy{p}, HostRules: []*v1alpha1.GSLBHostRule{hr}})
	cks := health.ChecksOf(r.Records[0])
	if len(cks) != 5 || cks[0].Path != "/ready" || cks[0].Port != 9000 || cks[0].Fall != 2 || cks[3] == nil || cks[3].Port != 9000 || cks[4] != nil {
		t.Errorf("host rule checks %+v", cks)
	}
	off := &v1alpha1.GSLBHostRule{ObjectMeta: metav1.ObjectMeta{Namespace: "gslb", Name: "h"},
		Spec: v1alpha1.GSLBHostRuleSpec{FQDN: hello, HealthCheck: &v1alpha1.HealthCheck{Type: v1alpha1.HealthCheckNone}}}
	r = Build(Input{Clusters: cs, Policies: []*v1alpha1.GlobalDeploymentPolicy{p}, HostRules: []*v1alpha1.GSLBHostRule{off}})
	if health.ChecksOf(r.Records[0]) != nil {
		t.Errorf("type None still probes: %+v", health.ChecksOf(r.Records[0]))
	}
}

func TestInvalidHealthCheckRefused(t *testing.T) {
	tests := []struct {
		hc   v1alpha1.HealthCheck
		want string
	}{
		{v1alpha1.HealthCheck{Type: v1alpha1.HealthCheckTCP, Path: "/x"}, "healthCheck.path does not apply to type TCP"},
		{v1alpha1.HealthCheck{SNI: "a.example"}, "apply to type HTTPS only"},
		{v1alpha1.HealthCheck{ExpectStatus: "700"}, "codes must be between 100 and 599"},
		{v1alpha1.HealthCheck{Interval: &metav1.Duration{Duration: time.Second}, Timeout: &metav1.Duration{Duration: 2 * time.Second}}, "less than the interval"},
		{v1alpha1.HealthCheck{Interval: &metav1.Duration{Duration: time.Millisecond}}, "interval 1ms must be between"},
	}
	for _, tt := range tests {
		hc := tt.hc
		p := gdp("p", 0, func(s *v1alpha1.GlobalDeploymentPolicySpec) { s.HealthCheck = &hc })
		r := Build(Input{Clusters: scenario(), Policies: []*v1alpha1.GlobalDeploymentPolicy{p}})
		res := r.Policies["gslb/p"]
		if res.Accepted || res.Reason != v1alpha1.ReasonInvalidHealthCheck || !strings.Contains(res.Message, tt.want) || len(r.Records) != 0 {
			t.Errorf("%+v: %+v, want refused with %q", hc, res, tt.want)
		}
	}
	// A host rule valid alone whose fields clash with the policy's: refused,
	// and the policy's check applies.
	p := gdp("p", 0, func(s *v1alpha1.GlobalDeploymentPolicySpec) {
		s.HealthCheck = &v1alpha1.HealthCheck{Type: v1alpha1.HealthCheckTCP, Port: 443}
	})
	hr := &v1alpha1.GSLBHostRule{ObjectMeta: metav1.ObjectMeta{Namespace: "gslb", Name: "h"},
		Spec: v1alpha1.GSLBHostRuleSpec{FQDN: hello, HealthCheck: &v1alpha1.HealthCheck{Path: "/x"}}}
	r := Build(Input{Clusters: scenario(), Policies: []*v1alpha1.GlobalDeploymentPolicy{p}, HostRules: []*v1alpha1.GSLBHostRule{hr}})
	if h := r.HostRules["gslb/h"]; h.Accepted || h.Reason != v1alpha1.ReasonInvalidHealthCheck || !strings.Contains(h.Message, "gslb/p") {
		t.Errorf("host rule %+v", h)
	}
	if c := health.ChecksOf(r.Records[0])[0]; c == nil || c.Type != health.TypeTCP || c.Port != 443 {
		t.Errorf("check %+v, want the policy's", c)
	}
}

func TestObjectsBackendsAndPorts(t *testing.T) {
	pt := networkingv1.PathTypePrefix
	be := func(n string) networkingv1.IngressBackend {
		return networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: n}}
	}
	in := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "i"},
		Spec: networkingv1.IngressSpec{DefaultBackend: ptr(be("def")), Rules: []networkingv1.IngressRule{
			{Host: "a.example", IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{
				{Path: "/", PathType: &pt, Backend: be("web")}, {Path: "/api", PathType: &pt, Backend: be("api")}, {Path: "/w", PathType: &pt, Backend: be("web")}}}}},
			{Host: "b.example"},
		}}}
	o, ok := IngressObject(in)
	if !ok || strings.Join(o.Backends.Of("a.example."), ",") != "api,web" || strings.Join(o.Backends.Of("b.example."), ",") != "def" || o.Port != 0 {
		t.Errorf("ingress %+v", o)
	}
	if got := strings.Join(BackendServices(in), ","); got != "ns/api,ns/def,ns/web" {
		t.Errorf("BackendServices %s", got)
	}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "s", Annotations: map[string]string{v1alpha1.AnnotationHostname: "s.example"}},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Ports: []corev1.ServicePort{{Port: 53, Protocol: corev1.ProtocolUDP}, {Port: 8443}}}}
	so, ok := ServiceObject(svc)
	if !ok || so.Port != 8443 || strings.Join(so.Backends.Of("s.example."), ",") != "s" {
		t.Errorf("service %+v", so)
	}
}

func TestCountEndpoints(t *testing.T) {
	slice := func(svc string, fam discoveryv1.AddressType, ready ...*bool) *discoveryv1.EndpointSlice {
		s := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: svc + string(fam),
			Labels: map[string]string{discoveryv1.LabelServiceName: svc}}, AddressType: fam}
		for _, r := range ready {
			s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{Conditions: discoveryv1.EndpointConditions{Ready: r}})
		}
		return s
	}
	yes, no := ptr(true), ptr(false)
	got := CountEndpoints([]*discoveryv1.EndpointSlice{
		slice("a", discoveryv1.AddressTypeIPv4, yes, no, nil), // nil ready counts as ready
		slice("a", "IPv4x", yes),                              // a second slice of the same family adds up below
		slice("b", discoveryv1.AddressTypeIPv4, no), slice("b", discoveryv1.AddressTypeIPv6, no, no),
		slice("c", discoveryv1.AddressTypeIPv4),
	})
	want := map[string]EndpointCount{"ns/a": {2, 3}, "ns/b": {0, 2}, "ns/c": {0, 0}}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %+v, want %+v", k, got[k], w)
		}
	}
	stripped, _ := StripSlice(slice("a", discoveryv1.AddressTypeIPv4, no, yes, nil))
	if s := stripped.(*sliceCount); s.Service != "ns/a" || s.Family != discoveryv1.AddressTypeIPv4 || s.Count != (EndpointCount{2, 3}) ||
		s.Name != "aIPv4" || s.Labels != nil {
		t.Errorf("stripped %+v", s)
	}
}

// TestCountEndpointsStripped: the informer's cache holds sliceCounts
// (stripSlice), the tests' caches EndpointSlices: both count the same,
// mixed too, and stripping twice changes nothing.
func TestCountEndpointsStripped(t *testing.T) {
	yes, no := ptr(true), ptr(false)
	raw := []*discoveryv1.EndpointSlice{
		{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "a-1", Labels: map[string]string{discoveryv1.LabelServiceName: "a"}},
			AddressType: discoveryv1.AddressTypeIPv4, Endpoints: []discoveryv1.Endpoint{{Conditions: discoveryv1.EndpointConditions{Ready: yes}}, {}}},
		{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "a-2", Labels: map[string]string{discoveryv1.LabelServiceName: "a"}},
			AddressType: discoveryv1.AddressTypeIPv4, Endpoints: []discoveryv1.Endpoint{{Conditions: discoveryv1.EndpointConditions{Ready: no}}}},
		{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "orphan"}, Endpoints: []discoveryv1.Endpoint{{}}},
	}
	var stripped, mixed []any
	for i, s := range raw {
		o, err := StripSlice(s)
		if err != nil {
			t.Fatal(err)
		}
		if again, _ := StripSlice(o); again != o {
			t.Errorf("%s: stripped twice gives a new object", s.Name)
		}
		if cp := o.(*sliceCount).DeepCopyObject().(*sliceCount); cp == o || !equality.Semantic.DeepEqual(cp, o) {
			t.Errorf("%s: deep copy %+v of %+v", s.Name, cp, o)
		}
		stripped = append(stripped, o)
		mixed = append(mixed, map[bool]any{true: o, false: s}[i%2 == 0])
	}
	want := map[string]EndpointCount{"ns/a": {2, 3}}
	for name, got := range map[string]map[string]EndpointCount{"raw": CountEndpoints(raw), "stripped": CountEndpoints(stripped), "mixed": CountEndpoints(mixed)} {
		if len(got) != 1 || got["ns/a"] != want["ns/a"] {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
	if k, ok := SliceService(stripped[2]); ok {
		t.Errorf("orphan slice belongs to %q", k)
	}
	if k, ok := SliceService(stripped[0]); !ok || k != "ns/a" {
		t.Errorf("SliceService %q %v", k, ok)
	}
	if _, ok := SliceService(&corev1.Service{}); ok {
		t.Error("a Service is no slice")
	}
}

func TestStatusShowsMemberHealth(t *testing.T) {
	cs := twoBackends(EndpointCount{0, 3}, EndpointCount{1, 1})
	p := gdp("p", 0)
	r := Build(Input{Clusters: cs, Policies: []*v1alpha1.GlobalDeploymentPolicy{p}})
	served := IndexServed(r.Records)
	st := PolicyStatus(p, r.Policies["gslb/p"], map[string]ClusterState{"s1az1": ClusterUp, "s1az2": ClusterUp, "s2": ClusterUp}, served, Push{})
	if len(st.UnhealthyMembers) != 1 || st.UnhealthyMembers[0] != (v1alpha1.MemberHealth{FQDN: hello, Cluster: "s1az1", Target: "127.0.0.11",
		Health: "Down", Reason: "0/3 endpoints ready in service default/web"}) {
		t.Errorf("unhealthy %+v", st.UnhealthyMembers)
	}
	if st.Clusters[0].Members != 1 || st.Clusters[0].Healthy != 0 || st.Clusters[1].Healthy != 1 {
		t.Errorf("clusters %+v", st.Clusters)
	}
	hr := &v1alpha1.GSLBHostRule{ObjectMeta: metav1.ObjectMeta{Namespace: "gslb", Name: "h"}, Spec: v1alpha1.GSLBHostRuleSpec{FQDN: "Hello.avi.iberia.local"}}
	hs := HostRuleStatus(hr, &HostRuleResult{Accepted: true, Reason: v1alpha1.ReasonValid}, served)
	if len(hs.Members) != 3 || hs.Members[0].Health != "Down" || hs.Members[1].Health != "Unknown" {
		t.Errorf("host rule members %+v", hs.Members)
	}
}

// The caches keep what Build reads: an object and its stripped copy give
// the same Object.
func TestStripKeepsWhatBuildReads(t *testing.T) {
	pt := networkingv1.PathTypePrefix
	in := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "i", Labels: gslbApp,
		Annotations: map[string]string{"big": strings.Repeat("x", 1000)}, ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "m"}}},
		Spec: networkingv1.IngressSpec{
			DefaultBackend: &networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "def", Port: networkingv1.ServiceBackendPort{Number: 80}}},
			Rules: []networkingv1.IngressRule{{Host: "a.example", IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
				Paths: []networkingv1.HTTPIngressPath{{Path: "/x", PathType: &pt, Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "web"}}}}}}},
				{Host: "b.example"}}},
		Status: networkingv1.IngressStatus{LoadBalancer: networkingv1.IngressLoadBalancerStatus{Ingress: []networkingv1.IngressLoadBalancerIngress{{IP: "192.0.2.1"}, {Hostname: "lb.example"}}}},
	}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "s", Labels: gslbApp,
		Annotations: map[string]string{v1alpha1.AnnotationExternalDNS: "s.example,t.example", "other": "x"}},
		Spec:   corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Ports: []corev1.ServicePort{{Name: "h", Port: 8080, Protocol: corev1.ProtocolTCP}}},
		Status: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{{IP: "2001:db8::1"}}}}}
	si, _ := StripManaged(in)
	ss, _ := StripManaged(svc)
	a, _ := IngressObject(in)
	b, _ := IngressObject(si.(*networkingv1.Ingress))
	c, _ := ServiceObject(svc)
	d, _ := ServiceObject(ss.(*corev1.Service))
	if fmt.Sprint(a) != fmt.Sprint(b) || fmt.Sprint(c) != fmt.Sprint(d) || len(a.FQDNs) != 2 || len(c.FQDNs) != 2 {
		t.Errorf("ingress\n%+v\n%+v\nservice\n%+v\n%+v", a, b, c, d)
	}
	if si.(*networkingv1.Ingress).Annotations != nil || si.(*networkingv1.Ingress).ManagedFields != nil || len(ss.(*corev1.Service).Annotations) != 1 {
		t.Errorf("not stripped: %+v %+v", si, ss)
	}
}
