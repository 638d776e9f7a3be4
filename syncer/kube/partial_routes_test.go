package kube

import (
	"fmt"

	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"
	"github.com/gslbdns/gslb/syncer/kube/internal/kubetest"
	"github.com/gslbdns/gslb/syncer/kube/table"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Random changes of Gateways, HTTPRoutes and OpenShift Routes for
// TestPartialBuildEqualsFull: each returns what the event handlers enqueue
// (a reference to the object, resolved by dirtyFQDNs as the worker does).

// newRandomOptionals are the caches of the optional kinds of a random
// cluster, with the indexes the informers have.
func newRandomOptionals() *optionals {
	idx := map[string]cache.Indexer{}
	for _, k := range []string{"Gateway", "HTTPRoute", "Route"} {
		idx[k] = cache.NewIndexer(cache.MetaNamespaceKeyFunc, optionalIndexers())
	}
	return &optionals{idx: idx, missing: []string{"GRPCRoute", "TCPRoute", "TLSRoute"}}
}

// changeOptional makes one random change of a Gateway or a route.
func (c *randomCluster) changeOptional(ns string) []workKey {
	idx, _ := c.st.opt.snapshot()
	switch c.r.IntN(6) {
	case 0, 1:
		return c.putOptional("HTTPRoute", c.httpRoute(ns))
	case 2:
		return c.putOptional("Gateway", c.gateway(ns))
	case 3:
		return c.putOptional("Route", c.openShiftRoute(ns))
	default: // delete one
		kind := []string{"Gateway", "HTTPRoute", "Route"}[c.r.IntN(3)]
		keys := idx[kind].ListKeys()
		if len(keys) == 0 {
			return nil
		}
		o, _, _ := idx[kind].GetByKey(keys[c.r.IntN(len(keys))])
		_ = idx[kind].Delete(o)
		return []workKey{c.m.optionalChanged(kind, o)}
	}
}

func (c *randomCluster) putOptional(kind string, o any) []workKey {
	idx, _ := c.st.opt.snapshot()
	_ = idx[kind].Update(o)
	return []workKey{c.m.optionalChanged(kind, o)}
}

// hostname is one of the FQDNs, a wildcard, or none ("").
func (c *randomCluster) hostname() string {
	switch c.r.IntN(5) {
	case 0:
		return ""
	case 1:
		return "*.avi.iberia.local"
	}
	return c.fqdn()
}

// gateway is g0 or g1 with one to three listeners (l0…), of random
// hostnames, and random status addresses; sometimes a public-address
// annotation, valid or not.
func (c *randomCluster) gateway(ns string) *gwv1.Gateway {
	g := &gwv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("g%d", c.r.IntN(2))}}
	for i := range 1 + c.r.IntN(3) {
		l := gwv1.Listener{Name: gwv1.SectionName(fmt.Sprintf("l%d", i)), Port: gwv1.PortNumber(80 + i)}
		if h := c.hostname(); h != "" {
			l.Hostname = kubetest.Ptr(gwv1.Hostname(h))
		}
		g.Spec.Listeners = append(g.Spec.Listeners, l)
	}
	switch c.r.IntN(4) {
	case 0:
		g.Status.Addresses = []gwv1.GatewayStatusAddress{{Type: kubetest.Ptr(gwv1.HostnameAddressType), Value: "lb.example.net"}}
	default:
		g.Status.Addresses = []gwv1.GatewayStatusAddress{kubetest.IP(c.addr())}
	}
	switch c.r.IntN(6) {
	case 0:
		g.Annotations = map[string]string{v1alpha1.AnnotationPublicAddresses: "192.0.2.7"}
	case 1:
		g.Annotations = map[string]string{v1alpha1.AnnotationPublicAddresses: "192.0.2.8,bogus"}
	}
	return g
}

// httpRoute is h0…h7 with random hostnames, parents (g0 or g1 of either
// namespace, a listener or all), accepted or not, and backends (s0…s5,
// sometimes one of another namespace).
func (c *randomCluster) httpRoute(ns string) *table.GatewayRoute {
	r := &table.GatewayRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("h%d", c.r.IntN(8)), Labels: c.labels()}}
	for range c.r.IntN(3) {
		if h := c.hostname(); h != "" {
			r.Spec.Hostnames = append(r.Spec.Hostnames, gwv1.Hostname(h))
		}
	}
	for range 1 + c.r.IntN(2) {
		pr := gwv1.ParentReference{Name: gwv1.ObjectName(fmt.Sprintf("g%d", c.r.IntN(2)))}
		if c.r.IntN(3) == 0 {
			pr.Namespace = kubetest.Ptr(gwv1.Namespace([]string{"a", "b"}[c.r.IntN(2)]))
		}
		if c.r.IntN(2) == 0 {
			pr.SectionName = kubetest.Ptr(gwv1.SectionName(fmt.Sprintf("l%d", c.r.IntN(3))))
		}
		r.Spec.ParentRefs = append(r.Spec.ParentRefs, pr)
		if c.r.IntN(4) > 0 {
			r.Status.Parents = append(r.Status.Parents, kubetest.Accepted(pr).Parents...)
		}
	}
	var rule table.GatewayRouteRule
	for range 1 + c.r.IntN(2) {
		rule.BackendRefs = append(rule.BackendRefs, kubetest.SvcRef(fmt.Sprintf("s%d", c.r.IntN(6))))
	}
	if c.r.IntN(6) == 0 {
		b := kubetest.SvcRef("s1")
		b.Namespace = kubetest.Ptr(gwv1.Namespace("elsewhere"))
		rule.BackendRefs = append(rule.BackendRefs, b)
	}
	r.Spec.Rules = []table.GatewayRouteRule{rule}
	return r
}

// openShiftRoute is r0…r3 for one FQDN, admitted or not, answered by the
// router's hostname or a public address.
func (c *randomCluster) openShiftRoute(ns string) *table.OpenShiftRoute {
	r := &table.OpenShiftRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("r%d", c.r.IntN(4)), Labels: c.labels()},
		Spec: table.OpenShiftRouteSpec{Host: c.fqdn(), To: table.OpenShiftRouteTarget{Kind: "Service", Name: fmt.Sprintf("s%d", c.r.IntN(6))}}}
	status := string(metav1.ConditionTrue)
	if c.r.IntN(4) == 0 {
		status = string(metav1.ConditionFalse)
	}
	r.Status.Ingress = []table.OpenShiftRouteIngress{{RouterName: "default", RouterCanonicalHostname: "router.example.net",
		Conditions: []table.OpenShiftRouteCondition{{Type: "Admitted", Status: status}}}}
	if c.r.IntN(3) == 0 {
		r.Annotations = map[string]string{v1alpha1.AnnotationPublicAddresses: c.addr()}
	}
	return r
}
