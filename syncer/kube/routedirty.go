package kube

// What a change of a route, a Gateway or a route's backend dirties. A
// route's FQDNs depend on its Gateways, which live in another informer, so
// an event handler cannot tell which FQDNs the table has from it: the
// handlers enqueue a reference to the object (refKey, queue.go), and the worker
// resolves it (dirtyFQDNs) into the FQDNs the last table has from the
// routes concerned (routeCache.pub, kept by publish after each build) and
// those they ask for now. A partial build of those gives what a full build
// gives (partial_test.go).

import (
	"slices"
	"strings"

	"github.com/gslbdns/gslb/syncer/kube/table"

	"k8s.io/client-go/tools/cache"
)

// What a reference names.
const (
	refRoute   = "route"   // a route: kind/namespace/name
	refGateway = "gateway" // a Gateway: namespace/name; dirties its routes
	refBackend = "backend" // a Service: namespace/name; dirties the routes it backs
)

// optionalChanged is the queue key of a change of obj, of optional kind.
func (c *member) optionalChanged(kind string, obj any) workKey {
	if kind == "Gateway" {
		k, _ := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
		return refKey(c.name, refGateway, k)
	}
	k, _ := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	return refKey(c.name, refRoute, kind+"/"+k)
}

// dirtyFQDNs resolves the references refs against the members ms: the
// FQDNs their changes concern, sorted, unique.
func dirtyFQDNs(ms []*member, refs []objectRef) []string {
	var out []string
	for _, r := range refs {
		for _, m := range ms {
			if m.name == r.cluster {
				out = append(out, m.refFQDNs(r.what, r.key)...)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// refFQDNs are the FQDNs the table has from the routes a reference
// concerns, and those they ask for now.
func (c *member) refFQDNs(what, key string) []string {
	st, _ := c.snapshot()
	if st == nil {
		return nil
	}
	idx, _ := st.opt.snapshot()
	rc := &c.routes
	rc.mu.Lock()
	defer rc.mu.Unlock()
	switch what {
	case refRoute:
		kind, k, _ := strings.Cut(key, "/")
		var obj any
		if routes := idx[kind]; routes != nil {
			obj, _, _ = routes.GetByKey(k)
		}
		id := routeID{kind: kind}
		id.namespace, id.name, _ = cache.SplitMetaNamespaceKey(k)
		return rc.fqdnsOf(id, obj, idx["Gateway"])
	case refGateway:
		return rc.indexedFQDNs(idx, parentIndex, key)
	case refBackend:
		return rc.indexedFQDNs(idx, backendIndex, key)
	}
	return nil
}

// fqdnsOf returns the FQDNs the table has from route id and those it asks
// for now, as obj (nil: deleted, its conversion forgotten). Call with mu
// held.
func (rc *routeCache) fqdnsOf(id routeID, obj any, gws cache.Indexer) []string {
	out := table.SortedKeys(rc.pub[id])
	if obj == nil {
		delete(rc.conv, id)
		return out
	}
	for _, ob := range rc.objects(id.kind, obj, gws) {
		out = append(out, ob.FQDNs...)
	}
	return out
}

// indexedFQDNs returns fqdnsOf the routes of idx that index holds under
// key: the routes of a Gateway (parentIndex), of a Service (backendIndex).
// Call with mu held.
func (rc *routeCache) indexedFQDNs(idx map[string]cache.Indexer, index, key string) []string {
	var out []string
	routes := routeKinds()
	for _, kind := range table.SortedKeys(idx) {
		if !routes[kind] {
			continue
		}
		objs, _ := idx[kind].ByIndex(index, key)
		for _, o := range objs {
			out = append(out, rc.fqdnsOf(routeKey(kind, o), o, idx["Gateway"])...)
		}
	}
	return out
}

// publish records which FQDNs the table has from the member's routes,
// after a build on v, its view: a full one, or a partial one of the FQDNs
// dirty, which replaced only those.
func (rc *routeCache) publish(v table.ClusterView, full bool, dirty []string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if full {
		rc.pub, rc.byFQDN = map[routeID]map[string]bool{}, map[string]map[routeID]bool{}
	}
	want, routes := table.FQDNSet(dirty), routeKinds()
	for _, f := range dirty {
		for r := range rc.byFQDN[f] {
			delete(rc.pub[r], f)
			if len(rc.pub[r]) == 0 {
				delete(rc.pub, r)
			}
		}
		delete(rc.byFQDN, f)
	}
	for _, o := range v.Objects {
		if !routes[o.Kind] {
			continue
		}
		r := routeID{o.Kind, o.Namespace, o.Name}
		for _, f := range o.FQDNs {
			if full || want[f] {
				addTo(rc.pub, r, f)
				addTo(rc.byFQDN, f, r)
			}
		}
	}
}

func addTo[K, V comparable](m map[K]map[V]bool, k K, v V) {
	if m[k] == nil {
		m[k] = map[V]bool{}
	}
	m[k][v] = true
}

// publishViews records, for each member, what a build on its view gives
// (publish): a full build, or a partial one of dirty.
func publishViews(ms []*member, vs []table.ClusterView, full bool, dirty []string) {
	for i, m := range ms {
		m.routes.publish(vs[i], full, dirty)
	}
}
