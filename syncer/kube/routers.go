package kube

// The OpenShift routers' Services: a Route's member address is its
// router's, and OpenShift publishes router NAME (a Route's
// status.ingress[].routerName) with the LoadBalancer Service router-NAME
// in the namespace openshift-ingress (the router-namespace= option). The
// Services are read there whatever their labels; the Routes themselves
// are converted without them (optional.go), and their router addresses
// filled in when the view is made, so a router's new address is a new
// view, not a new conversion of every Route.
//
// A Route's answered addresses, first that applies:
//  1. the public-addresses annotation (probed at the router's addresses
//     when it has some, else at themselves);
//  2. the IP addresses of its routers' LoadBalancer Services;
//  3. the routers' canonical hostnames, answered as CNAMEs.

import (
	"context"
	"slices"

	"github.com/gslbdns/gslb/syncer/kube/table"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
)

// routerServicePrefix names a router's Service: router-NAME.
const routerServicePrefix = "router-"

// RouterLookup returns the IP addresses of router NAME's LoadBalancer
// Service (canonical, sorted, unique), or none.
type RouterLookup func(router string) []string

// startRouters starts the informer on the routers' Services of one
// informer generation, and returns the lookup on its cache and what to
// wait for: nothing when the router-namespace option is "none" or Routes
// are not looked for (kinds=). Any change makes a full build: the Routes
// of that router may be of any FQDN.
func (c *member) startRouters(ctx context.Context) (RouterLookup, []cache.InformerSynced) {
	ns := c.opts.RouterNamespace
	if ns == "" || ns == "none" || !c.opts.Kinds.looksFor("Route") {
		return nil, nil
	}
	f := informers.NewSharedInformerFactoryWithOptions(c.cs, 0, informers.WithNamespace(ns), informers.WithTransform(table.StripManaged))
	inf := f.Core().V1().Services().Informer()
	all := func(any) { c.notify(allKey) }
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: all, UpdateFunc: func(_, n any) { all(n) }, DeleteFunc: all})
	_ = inf.SetWatchErrorHandlerWithContext(func(ctx context.Context, r *cache.Reflector, err error) {
		c.log.Debug("watch error", "kind", "router Service", "namespace", ns, "err", err)
	})
	f.Start(ctx.Done())
	return routerLookup(inf.GetIndexer(), ns), []cache.InformerSynced{inf.HasSynced}
}

// routerLookup reads the routers' Services in namespace ns of store.
func routerLookup(store cache.Store, ns string) RouterLookup {
	return func(router string) []string {
		if router == "" {
			return nil
		}
		o, ok, _ := store.GetByKey(ns + "/" + routerServicePrefix + router)
		if !ok {
			return nil
		}
		s, _ := o.(*corev1.Service)
		if s == nil || s.Spec.Type != corev1.ServiceTypeLoadBalancer {
			return nil
		}
		addrs, _ := table.LBTargets(s.Status.LoadBalancer.Ingress)
		return addrs
	}
}

// withRouterAddresses fills in the Routes' router addresses (see the top
// of the file) and leaves out the Routes left with nothing to answer.
// The other Objects are kept as they are.
func withRouterAddresses(objs []table.Object, lookup RouterLookup) []table.Object {
	out := objs[:0:0]
	for _, o := range objs {
		if o.Kind != "Route" || len(o.Routers) == 0 {
			out = append(out, o)
			continue
		}
		var addrs []string
		for _, r := range o.Routers {
			if lookup != nil {
				addrs = append(addrs, lookup(r)...)
			}
		}
		if len(addrs) > 0 {
			slices.Sort(addrs)
			o.Addresses, o.Hostnames = slices.Compact(addrs), nil
		}
		if len(o.Public)+len(o.Addresses)+len(o.Hostnames) > 0 {
			out = append(out, o)
		}
	}
	return out
}
