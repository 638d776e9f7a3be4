package kube

// A member's caches as Build's input: the whole cluster, or only what some FQDNs need.

import (
	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/kube/table"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/cache"
)

// partialView is the cluster as view sees it, restricted to the objects
// that ask for one of fqdns, their namespaces and their Services'
// endpoints: Build on partial views gives the records of those FQDNs.
func (c *member) partialView(fqdns []string) table.ClusterView {
	st, v := c.snapshot()
	if v.Kept != nil {
		kept := map[string][]*gslbv1.Member{}
		for _, f := range fqdns {
			if ms, ok := v.Kept[f]; ok {
				kept[f] = ms
			}
		}
		v.Kept = kept
	}
	if st == nil {
		return v
	}
	seen := map[any]bool{}
	v.Endpoints = map[string]table.EndpointCount{}
	for _, f := range fqdns {
		for _, idx := range []cache.Indexer{st.svc, st.ing} {
			objs, _ := idx.ByIndex(fqdnIndex, f)
			for _, o := range objs {
				if seen[o] {
					continue
				}
				seen[o] = true
				if ob, ok := table.ObjectOf(o); ok {
					addPartial(&v, st, ob)
				}
			}
		}
	}
	opt, missing := st.opt.snapshot()
	v.Missing = missing
	for _, ob := range withRouterAddresses(c.routes.matching(opt, fqdns), st.routers) { // routers.go
		addPartial(&v, st, ob)
	}
	return v
}

// addPartial adds ob to a partial view, with its namespace's labels and
// its backends' endpoints.
func addPartial(v *table.ClusterView, st *stores, ob table.Object) {
	v.Objects = append(v.Objects, ob)
	if _, done := v.NamespaceLabels[ob.Namespace]; !done {
		var lbls map[string]string
		if n, exists, _ := st.ns.GetByKey(ob.Namespace); exists {
			lbls = n.(*corev1.Namespace).Labels
		}
		v.NamespaceLabels[ob.Namespace] = lbls
	}
	for _, bs := range ob.Backends {
		for _, b := range bs.Services {
			k := ob.Namespace + "/" + b
			if _, done := v.Endpoints[k]; done {
				continue
			}
			sl, _ := st.eps.ByIndex(serviceIndex, k)
			if cnt, ok := table.CountEndpoints(sl)[k]; ok {
				v.Endpoints[k] = cnt
			}
		}
	}
}

// view returns the cluster's objects as last seen and its state.
func (c *member) view() table.ClusterView {
	st, v := c.snapshot()
	if st == nil {
		return v
	}
	svcs, ings := st.svc.List(), st.ing.List()
	nsvc, ning := len(svcs), len(ings)
	c.convMu.Lock()
	conv := make(map[any]converted, nsvc+ning)
	for _, o := range append(svcs, ings...) {
		cv, done := c.conv[o]
		if !done {
			cv.obj, cv.ok = table.ObjectOf(o)
		}
		conv[o] = cv
		if cv.ok {
			v.Objects = append(v.Objects, cv.obj)
		}
	}
	c.conv = conv
	c.convMu.Unlock()
	opt, missing := st.opt.snapshot()
	v.Missing = missing
	v.Objects = append(v.Objects, withRouterAddresses(c.routes.all(opt), st.routers)...) // routers.go
	for kind, idx := range opt {
		c.m.objects.WithLabelValues(c.name, kind).Set(float64(len(idx.ListKeys())))
	}
	for _, o := range st.ns.List() {
		n := o.(*corev1.Namespace)
		v.NamespaceLabels[n.Name] = n.Labels
	}
	sl := st.eps.List()
	v.Endpoints = table.CountEndpoints(sl)
	c.m.objects.WithLabelValues(c.name, "Service").Set(float64(nsvc))
	c.m.objects.WithLabelValues(c.name, "Ingress").Set(float64(ning))
	c.m.objects.WithLabelValues(c.name, "Namespace").Set(float64(len(v.NamespaceLabels)))
	c.m.objects.WithLabelValues(c.name, "EndpointSlice").Set(float64(len(sl)))
	return v
}
