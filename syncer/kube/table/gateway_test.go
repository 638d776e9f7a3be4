package table

import (
	"reflect"
	"testing"

	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"
	"github.com/gslbdns/gslb/syncer/kube/internal/kubetest"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

func testRoute(hosts []string, refs []gwv1.ParentReference, status gwv1.RouteStatus, backends ...gwv1.BackendRef) *GatewayRoute {
	r := &GatewayRoute{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "hello", Labels: map[string]string{"app": "gslb"}},
		Spec: GatewayRouteSpec{ParentRefs: refs, Rules: []GatewayRouteRule{{BackendRefs: backends}}}, Status: status}
	for _, h := range hosts {
		r.Spec.Hostnames = append(r.Spec.Hostnames, gwv1.Hostname(h))
	}
	return r
}

func TestRouteObjects(t *testing.T) {
	gw := kubetest.Gateway(kubetest.IP("127.0.0.13"), kubetest.IP("2001:db8::13"), gwv1.GatewayStatusAddress{Type: ptr(gwv1.HostnameAddressType), Value: "LB.example.net"})
	lookup := func(ns, name string) *gwv1.Gateway {
		if ns == "infra" && name == "gw" {
			return gw
		}
		return nil
	}
	web, wild, anyL := kubetest.Parent("web"), kubetest.Parent("wild"), kubetest.Parent("any")
	other := gwv1.ParentReference{Name: "missing"}
	for _, tc := range []struct {
		name  string
		route *GatewayRoute
		fqdns [][]string // per Object
		port  uint16
		notes []string
	}{
		{"hostname of the listener", testRoute([]string{"hello.example.net"}, []gwv1.ParentReference{web}, kubetest.Accepted(web), kubetest.SvcRef("hello")),
			[][]string{{"hello.example.net."}}, 80, nil},
		{"no route hostname takes the listener's", testRoute(nil, []gwv1.ParentReference{web}, kubetest.Accepted(web), kubetest.SvcRef("hello")),
			[][]string{{"hello.example.net."}}, 80, nil},
		{"route hostname not in the listener", testRoute([]string{"other.example.net"}, []gwv1.ParentReference{web}, kubetest.Accepted(web)),
			nil, 0, nil},
		{"wildcard listener narrowed by the route", testRoute([]string{"a.example.org", "example.org"}, []gwv1.ParentReference{wild}, kubetest.Accepted(wild)),
			[][]string{{"a.example.org."}}, 8080, nil},
		{"wildcard route narrowed by the listener", testRoute([]string{"*.example.net"}, []gwv1.ParentReference{web}, kubetest.Accepted(web)),
			[][]string{{"hello.example.net."}}, 80, nil},
		{"wildcard left is skipped with a note", testRoute([]string{"*.example.com", "x.example.com"}, []gwv1.ParentReference{anyL}, kubetest.Accepted(anyL)),
			[][]string{{"x.example.com."}}, 9090, []string{`HTTPRoute default/hello: wildcard hostname "*.example.com" not served`}},
		{"not accepted in status: detached", testRoute([]string{"hello.example.net"}, []gwv1.ParentReference{web}, gwv1.RouteStatus{}),
			nil, 0, nil},
		{"accepted for another section only", testRoute([]string{"hello.example.net"}, []gwv1.ParentReference{web}, kubetest.Accepted(wild)),
			nil, 0, nil},
		{"unknown gateway", testRoute([]string{"hello.example.net"}, []gwv1.ParentReference{other}, kubetest.Accepted(other)),
			nil, 0, nil},
		{"whole gateway: every listener", testRoute([]string{"hello.example.net", "b.example.org"}, []gwv1.ParentReference{kubetest.Parent("")}, kubetest.Accepted(kubetest.Parent(""))),
			[][]string{{"b.example.org.", "hello.example.net."}}, 80, nil},
		{"backend in another namespace noted", testRoute([]string{"hello.example.net"}, []gwv1.ParentReference{web}, kubetest.Accepted(web),
			gwv1.BackendRef{BackendObjectReference: gwv1.BackendObjectReference{Name: "x", Namespace: ptr(gwv1.Namespace("other"))}}),
			[][]string{{"hello.example.net."}}, 80, []string{"HTTPRoute default/hello: backendRef other/x not followed for readiness (another namespace)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs := RouteObjects("HTTPRoute", tc.route, lookup)
			if len(objs) != len(tc.fqdns) {
				t.Fatalf("%d objects %+v, want %d", len(objs), objs, len(tc.fqdns))
			}
			for i, o := range objs {
				if !reflect.DeepEqual(o.FQDNs, tc.fqdns[i]) {
					t.Errorf("object %d FQDNs %v, want %v", i, o.FQDNs, tc.fqdns[i])
				}
				if o.Kind != "HTTPRoute" || o.Namespace != "default" || o.Name != "hello" || o.Labels["app"] != "gslb" || o.Port != tc.port {
					t.Errorf("object %d: %+v", i, o)
				}
				if !reflect.DeepEqual(o.Addresses, []string{"127.0.0.13", "2001:db8::13"}) || !reflect.DeepEqual(o.Hostnames, []string{"lb.example.net."}) {
					t.Errorf("object %d targets %v %v", i, o.Addresses, o.Hostnames)
				}
			}
			if len(objs) > 0 && !reflect.DeepEqual(objs[0].Invalid, tc.notes) {
				t.Errorf("notes %q, want %q", objs[0].Invalid, tc.notes)
			}
		})
	}
}

func TestRouteObjectsBackendsAndPublic(t *testing.T) {
	gw := kubetest.Gateway(kubetest.IP("127.0.0.13"))
	gw.Annotations = map[string]string{v1alpha1.AnnotationPublicAddresses: "203.0.113.5, bad"}
	lookup := func(string, string) *gwv1.Gateway { return gw }
	web := kubetest.Parent("web")
	r := testRoute(nil, []gwv1.ParentReference{web}, kubetest.Accepted(web), kubetest.SvcRef("b"), kubetest.SvcRef("a"), kubetest.SvcRef("b"))
	objs := RouteObjects("GRPCRoute", r, lookup)
	if len(objs) != 1 {
		t.Fatalf("%d objects", len(objs))
	}
	o := objs[0]
	if want := (Backends{{"hello.example.net.", []string{"a", "b"}}}); !reflect.DeepEqual(o.Backends, want) {
		t.Errorf("backends %v, want %v", o.Backends, want)
	}
	if !reflect.DeepEqual(o.Public, []string{"203.0.113.5"}) {
		t.Errorf("public %v", o.Public)
	}
	if want := []string{`Gateway infra/gw: annotation gslb.gslbdns.io/public-addresses: "bad" is not an IP address`}; !reflect.DeepEqual(o.Invalid, want) {
		t.Errorf("invalid %q, want %q", o.Invalid, want)
	}
	// The route's own annotation wins over the Gateway's.
	r.Annotations = map[string]string{v1alpha1.AnnotationPublicAddresses: "198.51.100.7"}
	if o := RouteObjects("GRPCRoute", r, lookup)[0]; !reflect.DeepEqual(o.Public, []string{"198.51.100.7"}) || o.Invalid != nil {
		t.Errorf("route annotation: public %v invalid %v", o.Public, o.Invalid)
	}
}

func TestOpenShiftRouteObject(t *testing.T) {
	adm := OpenShiftRouteStatus{Ingress: []OpenShiftRouteIngress{{RouterName: "default", RouterCanonicalHostname: "router-default.apps.s1az2.example.net",
		Conditions: []OpenShiftRouteCondition{{Type: "Admitted", Status: "True"}}}}}
	route := func(host string, ann map[string]string, st OpenShiftRouteStatus) *OpenShiftRoute {
		return &OpenShiftRoute{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "hello", Annotations: ann},
			Spec:   OpenShiftRouteSpec{Host: host, To: OpenShiftRouteTarget{Kind: "Service", Name: "hello"}, AlternateBackends: []OpenShiftRouteTarget{{Name: "canary"}}},
			Status: st}
	}
	for _, tc := range []struct {
		name   string
		r      *OpenShiftRoute
		ok     bool
		addrs  []string
		hosts  []string
		public []string
	}{
		{"router's canonical hostname", route("Hello.example.net", nil, adm), true, nil, []string{"router-default.apps.s1az2.example.net."}, nil},
		{"router address annotated", route("hello.example.net", map[string]string{v1alpha1.AnnotationPublicAddresses: "127.0.0.12"}, adm), true, nil, []string{"router-default.apps.s1az2.example.net."}, []string{"127.0.0.12"}},
		{"not admitted", route("hello.example.net", nil, OpenShiftRouteStatus{}), false, nil, nil, nil},
		{"wildcard host", route("*.example.net", nil, adm), false, nil, nil, nil},
		{"no host", route("", nil, adm), false, nil, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, ok := OpenShiftRouteObject(tc.r)
			if ok != tc.ok {
				t.Fatalf("ok %v, want %v", ok, tc.ok)
			}
			if !ok {
				return
			}
			if !reflect.DeepEqual(o.FQDNs, []string{"hello.example.net."}) || !reflect.DeepEqual(o.Addresses, tc.addrs) || !reflect.DeepEqual(o.Hostnames, tc.hosts) ||
				!reflect.DeepEqual(o.Public, tc.public) || !reflect.DeepEqual(o.Routers, []string{"default"}) {
				t.Errorf("object %+v", o)
			}
			if want := (Backends{{"hello.example.net.", []string{"canary", "hello"}}}); !reflect.DeepEqual(o.Backends, want) {
				t.Errorf("backends %v", o.Backends)
			}
		})
	}
}

func TestPublicAddresses(t *testing.T) {
	for _, tc := range []struct {
		value          string
		addrs, invalid []string
	}{
		{"203.0.113.5, 2001:DB8::5,203.0.113.5", []string{"2001:db8::5", "203.0.113.5"}, nil},
		{"203.0.113.300,,lb.example.net", nil, []string{
			`Ingress ns/x: annotation gslb.gslbdns.io/public-addresses: "203.0.113.300" is not an IP address`,
			`Ingress ns/x: annotation gslb.gslbdns.io/public-addresses: "lb.example.net" is not an IP address`}},
	} {
		a, inv := PublicAddresses("Ingress", "ns", "x", map[string]string{v1alpha1.AnnotationPublicAddresses: tc.value})
		if !reflect.DeepEqual(a, tc.addrs) || !reflect.DeepEqual(inv, tc.invalid) {
			t.Errorf("%q: %v %q, want %v %q", tc.value, a, inv, tc.addrs, tc.invalid)
		}
	}
	for _, tc := range []struct {
		o    Object
		want []AnswerTarget
	}{
		{Object{Addresses: []string{"10.0.0.1"}}, []AnswerTarget{{"10.0.0.1", "10.0.0.1"}}},
		{Object{Addresses: []string{"10.0.0.1", "fd00::1"}, Public: []string{"2001:db8::5", "203.0.113.5"}},
			[]AnswerTarget{{"2001:db8::5", "fd00::1"}, {"203.0.113.5", "10.0.0.1"}}},
		{Object{Addresses: []string{"10.0.0.1"}, Public: []string{"2001:db8::5"}}, []AnswerTarget{{"2001:db8::5", "10.0.0.1"}}},
		{Object{Hostnames: []string{"lb.example.net."}, Public: []string{"203.0.113.5"}}, []AnswerTarget{{"203.0.113.5", "203.0.113.5"}}},
	} {
		if got := AnswerTargets(&tc.o); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%+v: %v, want %v", tc.o, got, tc.want)
		}
	}
}
