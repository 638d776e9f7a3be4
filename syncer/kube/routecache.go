package kube

// The routes' side of the views (Gateway API routes and OpenShift Routes):
// their Objects cached per route, valid while neither the route nor a
// Gateway it read changed, and found by FQDN for a partial view through
// indexes on what a route's FQDNs can come from: its own hostnames, or the
// listener hostnames of the Gateways it names.

import (
	"slices"
	"strings"
	"sync"

	"github.com/gslbdns/gslb/syncer/kube/table"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// parentIndex indexes routes by the Gateways ("namespace/name") their
// parentRefs name.
const parentIndex = "parent"

// optionalIndexers index the optional kinds' caches: routes by backend
// Service, by hostname and by parent Gateway; Gateways by listener
// hostname (fqdnIndex: a superset of the FQDNs an object can give).
func optionalIndexers() cache.Indexers {
	return cache.Indexers{
		backendIndex: func(o any) ([]string, error) { return optionalBackends(o), nil },
		fqdnIndex:    func(o any) ([]string, error) { return optionalHostnames(o), nil },
		parentIndex:  func(o any) ([]string, error) { return routeParents(o), nil },
	}
}

// optionalHostnames are the names (not wildcards) an object of an optional
// kind holds: every FQDN a route gives is one of its own, one of a
// listener's of a Gateway it names (table/gateway.go, intersectHost) or, on a
// listener without hostname, one of its hostname annotations.
func optionalHostnames(obj any) []string {
	var names []string
	switch o := obj.(type) {
	case *table.GatewayRoute:
		for _, h := range o.Spec.Hostnames {
			names = append(names, string(h))
		}
		names = append(names, table.AnnotatedNames(o.Annotations)...) // TCPRoute, UDPRoute (RouteObjects)
	case *gwv1.Gateway:
		for _, l := range o.Spec.Listeners {
			if l.Hostname != nil {
				names = append(names, string(*l.Hostname))
			}
		}
	case *table.OpenShiftRoute:
		names = append(names, o.Spec.Host)
	}
	names = slices.DeleteFunc(names, func(n string) bool { return strings.HasPrefix(n, "*") })
	for i, n := range names {
		names[i] = strings.ToLower(n)
	}
	return table.CanonicalNames(names)
}

// routeParents are the Gateways a route's parentRefs name, accepted or not.
func routeParents(obj any) []string {
	r, ok := obj.(*table.GatewayRoute)
	if !ok {
		return nil
	}
	var out []string
	for _, pr := range r.Spec.ParentRefs {
		if (pr.Group != nil && *pr.Group != gwv1.GroupName) || (pr.Kind != nil && *pr.Kind != "Gateway") {
			continue
		}
		ns := r.Namespace
		if pr.Namespace != nil {
			ns = string(*pr.Namespace)
		}
		out = append(out, ns+"/"+string(pr.Name))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// routeCache holds a member's route conversions, and which FQDNs the
// table last built has from each route (what a change of it dirties).
type routeCache struct {
	mu     sync.Mutex
	conv   map[routeID]routeConv
	pub    map[routeID]map[string]bool // FQDNs the table has from each route
	byFQDN map[string]map[routeID]bool // pub inverted
}

// routeID names a route in the cache.
type routeID struct{ kind, namespace, name string }

// routeConv is a route's Objects, converted from obj (the cache's pointer:
// an update stores a new one) with the Gateways deps.
type routeConv struct {
	obj  any
	deps []gatewayDep
	objs []table.Object
}

// gatewayDep is a Gateway a conversion looked up, and what it found (nil:
// none).
type gatewayDep struct {
	key string
	gw  *gwv1.Gateway
}

// routeKey is the name of obj, a route of kind, in the cache.
func routeKey(kind string, obj any) routeID {
	id := routeID{kind: kind}
	if m, ok := obj.(metav1.Object); ok {
		id.namespace, id.name = m.GetNamespace(), m.GetName()
	}
	return id
}

// routeKinds are the optional kinds whose objects are sources: the
// routes (Gateways only serve them).
func routeKinds() map[string]bool {
	out := map[string]bool{}
	for _, k := range optionalKinds() {
		out[k.kind] = k.kind != "Gateway"
	}
	return out
}

// objects returns the Objects of obj, a route of kind, converting it only
// when it or a Gateway it read changed since the last time. Call with mu
// held.
func (rc *routeCache) objects(kind string, obj any, gws cache.Indexer) []table.Object {
	key := routeKey(kind, obj)
	if e, ok := rc.conv[key]; ok && e.obj == obj && e.fresh(gws) {
		return e.objs
	}
	e := convertRoute(kind, obj, gws)
	if rc.conv == nil {
		rc.conv = map[routeID]routeConv{}
	}
	rc.conv[key] = e
	return e.objs
}

// fresh tells whether the Gateways the conversion read are those of gws.
func (e routeConv) fresh(gws cache.Indexer) bool {
	for _, d := range e.deps {
		if gatewayByKey(gws, d.key) != d.gw {
			return false
		}
	}
	return true
}

// convertRoute converts a route of kind, recording the Gateways it reads.
func convertRoute(kind string, obj any, gws cache.Indexer) routeConv {
	e := routeConv{obj: obj}
	switch r := obj.(type) {
	case *table.GatewayRoute:
		lookup := func(ns, name string) *gwv1.Gateway {
			d := gatewayDep{key: ns + "/" + name}
			d.gw = gatewayByKey(gws, d.key)
			e.deps = append(e.deps, d)
			return d.gw
		}
		e.objs = table.RouteObjects(kind, r, lookup)
	case *table.OpenShiftRoute:
		if ob, ok := table.OpenShiftRouteObject(r); ok {
			e.objs = []table.Object{ob}
		}
	}
	return e
}

// gatewayByKey returns the Gateway namespace/name of gws, or nil.
func gatewayByKey(gws cache.Indexer, key string) *gwv1.Gateway {
	if gws == nil {
		return nil
	}
	o, ok, _ := gws.GetByKey(key)
	if !ok {
		return nil
	}
	g, _ := o.(*gwv1.Gateway)
	return g
}

// all returns the Objects of every route of the caches idx, and forgets
// the conversions of routes gone.
func (rc *routeCache) all(idx map[string]cache.Indexer) []table.Object {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	old := rc.conv
	rc.conv = make(map[routeID]routeConv, len(old))
	var out []table.Object
	routes := routeKinds()
	for _, kind := range table.SortedKeys(idx) {
		if !routes[kind] {
			continue
		}
		for _, o := range idx[kind].List() {
			key := routeKey(kind, o)
			if e, ok := old[key]; ok {
				rc.conv[key] = e
			}
			out = append(out, rc.objects(kind, o, idx["Gateway"])...)
		}
	}
	return out
}

// matching returns the Objects of the routes of idx that ask for one of
// fqdns: those whose hostnames, or whose Gateways' listener hostnames,
// hold one of them, and whose Objects have it.
func (rc *routeCache) matching(idx map[string]cache.Indexer, fqdns []string) []table.Object {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	want := table.FQDNSet(fqdns)
	var out []table.Object
	routes := routeKinds()
	for _, kind := range table.SortedKeys(idx) {
		if !routes[kind] {
			continue
		}
		for _, o := range routeCandidates(idx, kind, fqdns) {
			for _, ob := range rc.objects(kind, o, idx["Gateway"]) {
				if slices.ContainsFunc(ob.FQDNs, func(f string) bool { return want[f] }) {
					out = append(out, ob)
				}
			}
		}
	}
	return out
}

// routeCandidates are the routes of kind whose FQDNs may hold one of
// fqdns, each once.
func routeCandidates(idx map[string]cache.Indexer, kind string, fqdns []string) []any {
	routes, gws := idx[kind], idx["Gateway"]
	seen := map[any]bool{}
	var out []any
	add := func(objs []any) {
		for _, o := range objs {
			if !seen[o] {
				seen[o] = true
				out = append(out, o)
			}
		}
	}
	for _, f := range fqdns {
		objs, _ := routes.ByIndex(fqdnIndex, f)
		add(objs)
		if gws == nil {
			continue
		}
		gs, _ := gws.ByIndex(fqdnIndex, f)
		for _, g := range gs {
			k, _ := cache.MetaNamespaceKeyFunc(g)
			objs, _ := routes.ByIndex(parentIndex, k)
			add(objs)
		}
	}
	return out
}
