package kube

import (
	"slices"
	"testing"
	"time"

	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"
	"github.com/gslbdns/gslb/syncer/kube/internal/kubetest"
	"github.com/gslbdns/gslb/syncer/kube/table"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// routeFixture is a member with Gateways gw (hello.example.net on "web",
// *.example.org on "wild", no hostname on "any") and other (one listener
// testRoute is default/hello (app=gslb): hosts, attached to refs, with
// status and backends.
func testRoute(hosts []string, refs []gwv1.ParentReference, status gwv1.RouteStatus, backends ...gwv1.BackendRef) *table.GatewayRoute {
	r := &table.GatewayRoute{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "hello", Labels: map[string]string{"app": "gslb"}},
		Spec: table.GatewayRouteSpec{ParentRefs: refs, Rules: []table.GatewayRouteRule{{BackendRefs: backends}}}, Status: status}
	for _, h := range hosts {
		r.Spec.Hostnames = append(r.Spec.Hostnames, gwv1.Hostname(h))
	}
	return r
}

// for other.example.net), and HTTPRoutes.
type routeFixture struct {
	m            *member
	gws, routes  cache.Indexer
	gw, otherGw  *gwv1.Gateway
	onGw, onAny  *table.GatewayRoute // hello.example.net on gw/web; a.example.org, b.example.org on gw/any
	onOther      *table.GatewayRoute // other.example.net on other
	withoutHosts *table.GatewayRoute // the hostname of gw/web
}

func newRouteFixture() *routeFixture {
	f := &routeFixture{gws: cache.NewIndexer(cache.MetaNamespaceKeyFunc, optionalIndexers()),
		routes: cache.NewIndexer(cache.MetaNamespaceKeyFunc, optionalIndexers())}
	f.gw = kubetest.Gateway(kubetest.IP("127.0.0.13"))
	f.otherGw = &gwv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: "infra", Name: "other"},
		Spec:   gwv1.GatewaySpec{Listeners: []gwv1.Listener{{Name: "x", Hostname: kubetest.Ptr(gwv1.Hostname("other.example.net")), Port: 80}}},
		Status: gwv1.GatewayStatus{Addresses: []gwv1.GatewayStatusAddress{kubetest.IP("127.0.0.12")}}}
	web, anyL, other := kubetest.Parent("web"), kubetest.Parent("any"), gwv1.ParentReference{Namespace: kubetest.Ptr(gwv1.Namespace("infra")), Name: "other"}
	f.onGw = named(testRoute([]string{"hello.example.net"}, []gwv1.ParentReference{web}, kubetest.Accepted(web), kubetest.SvcRef("hello")), "on-gw")
	f.onAny = named(testRoute([]string{"a.example.org", "B.example.org"}, []gwv1.ParentReference{anyL}, kubetest.Accepted(anyL), kubetest.SvcRef("ab")), "on-any")
	f.onOther = named(testRoute(nil, []gwv1.ParentReference{other}, kubetest.Accepted(other), kubetest.SvcRef("other")), "on-other")
	f.withoutHosts = named(testRoute(nil, []gwv1.ParentReference{web}, kubetest.Accepted(web), kubetest.SvcRef("hello")), "without-hosts")
	for _, g := range []*gwv1.Gateway{f.gw, f.otherGw} {
		_ = f.gws.Add(g)
	}
	for _, r := range []*table.GatewayRoute{f.onGw, f.onAny, f.onOther, f.withoutHosts} {
		_ = f.routes.Add(r)
	}
	st := &stores{svc: cache.NewIndexer(cache.MetaNamespaceKeyFunc, objectIndexers()),
		ing: cache.NewIndexer(cache.MetaNamespaceKeyFunc, objectIndexers()),
		ns:  cache.NewStore(cache.MetaNamespaceKeyFunc), eps: cache.NewIndexer(cache.MetaNamespaceKeyFunc, sliceIndexers()),
		opt: &optionals{idx: map[string]cache.Indexer{"Gateway": f.gws, "HTTPRoute": f.routes}}}
	f.m = &member{name: "c", served: st, up: true, m: newMetrics(nil), opts: &Options{Grace: time.Minute}}
	return f
}

func named(r *table.GatewayRoute, name string) *table.GatewayRoute {
	r.Name = name
	return r
}

// converted returns the first Object of each route as the cache has it
// after a full view, by route name (nil: none).
func (f *routeFixture) converted() map[string]*table.Object {
	idx, _ := f.m.served.opt.snapshot()
	f.m.routes.all(idx)
	out := map[string]*table.Object{}
	for k, e := range f.m.routes.conv {
		if len(e.objs) > 0 {
			out[k.name] = &e.objs[0]
		} else {
			out[k.name] = nil
		}
	}
	return out
}

// A route is converted again only when it or a Gateway it reads changed:
// a Gateway change leaves the routes of other Gateways as they were.
func TestRouteCacheReuse(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(f *routeFixture)
		again  []string // routes converted again
	}{
		{"nothing", func(*routeFixture) {}, nil},
		{"a route updated", func(f *routeFixture) {
			r := *f.onAny
			_ = f.routes.Update(&r)
		}, []string{"on-any"}},
		{"a Gateway updated", func(f *routeFixture) {
			g := f.gw.DeepCopy()
			_ = f.gws.Update(g)
		}, []string{"on-any", "on-gw", "without-hosts"}},
		{"a Gateway deleted", func(f *routeFixture) { _ = f.gws.Delete(f.otherGw) }, []string{"on-other"}},
		{"a Gateway no route names created", func(f *routeFixture) {
			_ = f.gws.Add(&gwv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "gw"}})
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newRouteFixture()
			before := f.converted()
			tc.change(f)
			after := f.converted()
			var again []string
			for k, o := range after {
				if o != before[k] {
					again = append(again, k)
				}
			}
			slices.Sort(again)
			if !slices.Equal(again, tc.again) {
				t.Errorf("converted again: %v, want %v", again, tc.again)
			}
		})
	}
}

// A Gateway that appears after its routes makes them convert again, with
// its address; one deleted leaves them with no Object.
func TestRouteCacheGatewayLifecycle(t *testing.T) {
	f := newRouteFixture()
	_ = f.gws.Delete(f.otherGw)
	if o := f.converted()["on-other"]; o != nil {
		t.Fatalf("without its Gateway: %+v, want no Object", *o)
	}
	_ = f.gws.Add(f.otherGw)
	o := f.converted()["on-other"]
	if o == nil || !slices.Equal(o.FQDNs, []string{"other.example.net."}) || !slices.Equal(o.Addresses, []string{"127.0.0.12"}) {
		t.Fatalf("with its Gateway: %+v, want other.example.net. at 127.0.0.12", o)
	}
}

// A reference to a changed route, Gateway or backend resolves into the
// FQDNs the table has from the routes concerned and those they ask for
// now; a partial view of those finds the routes by their own hostnames
// and by their Gateways' listeners.
func TestRefFQDNs(t *testing.T) {
	f := newRouteFixture()
	idx, _ := f.m.served.opt.snapshot()
	f.m.routes.publish(table.ClusterView{Objects: f.m.routes.all(idx)}, true, nil)
	ref := func(what, key string) []string { return dirtyFQDNs([]*member{f.m}, []objectRef{{"c", what, key}}) }

	// A route moved from hello.example.net to c.example.org.
	moved := named(testRoute([]string{"c.example.org"}, f.onGw.Spec.ParentRefs, f.onGw.Status), "on-gw")
	moved.Spec.ParentRefs = []gwv1.ParentReference{kubetest.Parent("wild")}
	moved.Status = kubetest.Accepted(kubetest.Parent("wild"))
	_ = f.routes.Update(moved)
	check(t, "route moved", ref(refRoute, "HTTPRoute/default/on-gw"), "c.example.org.", "hello.example.net.")

	// The web listener renamed: the routes attached to gw, before and after.
	g := f.gw.DeepCopy()
	g.Spec.Listeners[0].Hostname = kubetest.Ptr(gwv1.Hostname("hi.example.net"))
	_ = f.gws.Update(g)
	check(t, "Gateway changed", ref(refGateway, "infra/gw"), "a.example.org.", "b.example.org.", "c.example.org.", "hello.example.net.", "hi.example.net.")
	check(t, "backend", ref(refBackend, "default/ab"), "a.example.org.", "b.example.org.")
	check(t, "route deleted", func() []string {
		_ = f.routes.Delete(f.onOther)
		return ref(refRoute, "HTTPRoute/default/on-other")
	}(), "other.example.net.")
	check(t, "unknown cluster", dirtyFQDNs([]*member{f.m}, []objectRef{{"elsewhere", refGateway, "infra/gw"}}))

	// The partial views of those FQDNs: the route without hostnames found
	// by its listener's, the moved one by its own.
	var got []string
	for _, o := range f.m.partialView([]string{"hi.example.net.", "c.example.org.", "other.example.net."}).Objects {
		got = append(got, o.Name)
	}
	slices.Sort(got)
	if want := []string{"on-gw", "without-hosts"}; !slices.Equal(got, want) {
		t.Errorf("partial view: %v, want %v", got, want)
	}
}

func check(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: dirty %v, want %v", what, got, want)
	}
}

// A route on a listener without hostname and with no hostnames of its own
// (a TCPRoute or UDPRoute) takes its FQDNs from its hostname annotation: a
// partial view of that FQDN finds it.
func TestPartialViewAnnotatedRoute(t *testing.T) {
	f := newRouteFixture()
	anyL := kubetest.Parent("any")
	tcp := named(testRoute(nil, []gwv1.ParentReference{anyL}, kubetest.Accepted(anyL), kubetest.SvcRef("tcp")), "tcp")
	tcp.Annotations = map[string]string{v1alpha1.AnnotationHostname: "tcp.example.org"}
	_ = f.routes.Add(tcp)
	var got []string
	for _, o := range f.m.partialView([]string{"tcp.example.org."}).Objects {
		got = append(got, o.Name)
	}
	if !slices.Equal(got, []string{"tcp"}) {
		t.Errorf("partial view of the annotated FQDN: %v, want [tcp]", got)
	}
}
