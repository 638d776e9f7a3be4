package kube

// The kinds a member cluster serves only when their CRDs are installed:
// Gateway API Gateways and routes, OpenShift Routes. A kind the cluster
// lists (discovery) when an informer generation starts is watched and
// synced with the others; a missing one is said once (log, metric, the
// policies' cluster status) and looked for again at every probe interval,
// then watched as soon as it appears: no error loop, no restart.

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/gslbdns/gslb/syncer/kube/table"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// optionalKind is a kind served by a CRD that may not be installed.
type optionalKind struct {
	kind     string
	gvr      schema.GroupVersionResource
	selected bool // the syncer's label selector applies (routes); Gateways are all read
	convert  func(*unstructured.Unstructured) (any, error)
}

// optionalKinds are the kinds watched when their CRDs are installed.
func optionalKinds() []optionalKind {
	gw := func(r string) schema.GroupVersionResource {
		return schema.GroupVersionResource{Group: gwv1.GroupName, Version: "v1", Resource: r}
	}
	return []optionalKind{
		{"Gateway", gw("gateways"), false, toGateway},
		{"HTTPRoute", gw("httproutes"), true, toGatewayRoute},
		{"GRPCRoute", gw("grpcroutes"), true, toGatewayRoute},
		{"TLSRoute", gw("tlsroutes"), true, toGatewayRoute},
		{"TCPRoute", gw("tcproutes"), true, toGatewayRoute},
		{"UDPRoute", gw("udproutes"), true, toGatewayRoute},
		{"Route", schema.GroupVersionResource{Group: "route.openshift.io", Version: "v1", Resource: "routes"}, true, toOpenShiftRoute},
	}
}

// optionals are one informer generation's caches of the optional kinds.
// Kinds are added as their CRDs appear; the views read a snapshot.
type optionals struct {
	mu      sync.Mutex
	idx     map[string]cache.Indexer // by kind: the kinds watched
	missing []string                 // kinds whose CRD is not installed, sorted
}

// snapshot returns the caches of the kinds watched and the kinds missing.
func (o *optionals) snapshot() (map[string]cache.Indexer, []string) {
	if o == nil {
		return nil, nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.idx, o.missing
}

// add makes kind watched, with its cache.
func (o *optionals) add(kind string, idx cache.Indexer) {
	o.mu.Lock()
	defer o.mu.Unlock()
	m := make(map[string]cache.Indexer, len(o.idx)+1)
	for k, v := range o.idx {
		m[k] = v
	}
	m[kind] = idx
	o.idx = m
	o.missing = slices.DeleteFunc(slices.Clone(o.missing), func(k string) bool { return k == kind })
}

// usesService tells whether a route watched has Service key
// ("namespace/name") as a backend.
func (o *optionals) usesService(key string) bool {
	idx, _ := o.snapshot()
	for _, i := range idx {
		if objs, _ := i.ByIndex(backendIndex, key); len(objs) > 0 {
			return true
		}
	}
	return false
}

// optionalFactories are a generation's dynamic informer factories: with
// the syncer's label selector, and without.
type optionalFactories struct {
	selected, all dynamicinformer.DynamicSharedInformerFactory
}

// startOptional starts the informers of the optional kinds the cluster
// serves now; it returns their caches, what to wait for before serving
// them, and the kinds to look for later.
func (c *member) startOptional(ctx context.Context) (*optionals, []cache.InformerSynced, []optionalKind, optionalFactories) {
	sel := func(o *metav1.ListOptions) { o.LabelSelector = c.opts.LabelSelector }
	fs := optionalFactories{
		selected: dynamicinformer.NewFilteredDynamicSharedInformerFactory(c.dyn, 0, metav1.NamespaceAll, sel),
		all:      dynamicinformer.NewFilteredDynamicSharedInformerFactory(c.dyn, 0, metav1.NamespaceAll, nil),
	}
	o := &optionals{idx: map[string]cache.Indexer{}}
	var synced []cache.InformerSynced
	var missing []optionalKind
	kinds := c.opts.Kinds.filter(optionalKinds()) // kinds.go
	served := c.servedResources(kinds)
	for _, k := range kinds {
		if !served[k.gvr] {
			missing = append(missing, k)
			if c.opts.Kinds.Noted {
				o.missing = append(o.missing, k.kind)
			}
			c.sayWatched(k.kind, false)
			continue
		}
		inf := c.optionalInformer(fs, k)
		o.idx[k.kind] = inf.GetIndexer()
		synced = append(synced, inf.HasSynced)
		c.sayWatched(k.kind, true)
	}
	slices.Sort(o.missing)
	fs.selected.Start(ctx.Done())
	fs.all.Start(ctx.Done())
	return o, synced, missing, fs
}

// awaitCRDs looks for the missing kinds at every probe interval and
// watches each as soon as the cluster serves it, until ctx ends.
func (c *member) awaitCRDs(ctx context.Context, o *optionals, missing []optionalKind, fs optionalFactories) {
	t := time.NewTicker(c.opts.Probe)
	defer t.Stop()
	for len(missing) > 0 {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		served := c.servedResources(missing)
		var still []optionalKind
		for _, k := range missing {
			if !served[k.gvr] {
				still = append(still, k)
				continue
			}
			inf := c.optionalInformer(fs, k)
			fs.selected.Start(ctx.Done())
			fs.all.Start(ctx.Done())
			if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
				return
			}
			o.add(k.kind, inf.GetIndexer())
			c.sayWatched(k.kind, true)
			c.notify(allKey)
		}
		missing = still
	}
}

// optionalInformer makes the informer of k: its objects converted to
// what the views read, indexed (optionalIndexers), and a change enqueues a
// reference to the object, which the worker resolves into the FQDNs it
// concerns (routedirty.go: a route's FQDNs depend on its Gateways).
func (c *member) optionalInformer(fs optionalFactories, k optionalKind) cache.SharedIndexInformer {
	f := fs.all
	if k.selected {
		f = fs.selected
	}
	inf := f.ForResource(k.gvr).Informer()
	_ = inf.SetTransform(func(obj any) (any, error) {
		if u, ok := obj.(*unstructured.Unstructured); ok {
			return k.convert(u)
		}
		return obj, nil
	})
	_ = inf.AddIndexers(optionalIndexers())
	changed := func(o any) { c.notify(c.optionalChanged(k.kind, o)) }
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: changed, UpdateFunc: func(_, n any) { changed(n) }, DeleteFunc: changed})
	_ = inf.SetWatchErrorHandlerWithContext(func(ctx context.Context, r *cache.Reflector, err error) {
		c.log.Debug("watch error", "kind", k.kind, "err", err)
	})
	return inf
}

// servedResources asks discovery which of the kinds' resources the
// cluster serves. A group version it cannot list counts as not served.
func (c *member) servedResources(kinds []optionalKind) map[schema.GroupVersionResource]bool {
	out := map[schema.GroupVersionResource]bool{}
	asked := map[schema.GroupVersion]bool{}
	for _, k := range kinds {
		gv := k.gvr.GroupVersion()
		if asked[gv] {
			continue
		}
		asked[gv] = true
		list, err := c.cs.Discovery().ServerResourcesForGroupVersion(gv.String())
		if err != nil {
			continue
		}
		for _, r := range list.APIResources {
			out[gv.WithResource(r.Name)] = true
		}
	}
	return out
}

// sayWatched logs and counts a kind's state when it changes: once, not at
// every generation.
func (c *member) sayWatched(kind string, watched bool) {
	v := 0.0
	if watched {
		v = 1
	}
	c.m.kindWatched.WithLabelValues(c.name, kind).Set(v)
	c.mu.Lock()
	defer c.mu.Unlock()
	if was, said := c.watched[kind]; said && was == watched {
		return
	}
	if c.watched == nil {
		c.watched = map[string]bool{}
	}
	c.watched[kind] = watched
	if watched {
		c.log.Info("member cluster serves the kind: watched", "kind", kind)
	} else {
		c.log.Info("member cluster does not serve the kind (CRD not installed): not watched until it appears", "kind", kind)
	}
}

// optionalBackends are the backend Services ("namespace/name") of a route.
func optionalBackends(obj any) []string {
	var out []string
	switch r := obj.(type) {
	case *table.GatewayRoute:
		bs, _ := table.RouteBackends("", r)
		for _, b := range bs {
			out = append(out, r.Namespace+"/"+b)
		}
	case *table.OpenShiftRoute:
		for _, t := range append([]table.OpenShiftRouteTarget{r.Spec.To}, r.Spec.AlternateBackends...) {
			if t.Name != "" {
				out = append(out, r.Namespace+"/"+t.Name)
			}
		}
	}
	return out
}

// toGateway keeps of a Gateway what the source reads.
func toGateway(u *unstructured.Unstructured) (any, error) {
	var g gwv1.Gateway
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &g); err != nil {
		return nil, err
	}
	out := &gwv1.Gateway{ObjectMeta: stripMeta(g.ObjectMeta), Status: gwv1.GatewayStatus{Addresses: g.Status.Addresses}}
	for _, l := range g.Spec.Listeners {
		out.Spec.Listeners = append(out.Spec.Listeners, gwv1.Listener{Name: l.Name, Hostname: l.Hostname, Port: l.Port, Protocol: l.Protocol})
	}
	return out, nil
}

// toGatewayRoute reads a route of any Gateway API kind.
func toGatewayRoute(u *unstructured.Unstructured) (any, error) {
	var r table.GatewayRoute
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &r); err != nil {
		return nil, err
	}
	r.ObjectMeta = stripMeta(r.ObjectMeta)
	return &r, nil
}

// toOpenShiftRoute reads a Route.
func toOpenShiftRoute(u *unstructured.Unstructured) (any, error) {
	var r table.OpenShiftRoute
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &r); err != nil {
		return nil, err
	}
	r.ObjectMeta = stripMeta(r.ObjectMeta)
	return &r, nil
}

// stripMeta keeps what the source reads of an object's metadata.
func stripMeta(m metav1.ObjectMeta) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: m.Namespace, Name: m.Name, UID: m.UID, ResourceVersion: m.ResourceVersion,
		Labels: m.Labels, Annotations: table.KeptAnnotations(m.Annotations, table.SourceAnnotations...)}
}
