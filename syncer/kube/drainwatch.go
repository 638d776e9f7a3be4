package kube

import (
	"context"
	"log/slog"

	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"
)

// watchDrains sets up, in f, the informer of the config cluster's
// GSLBDrains (table/drain.go); h enqueues a full build on every change. The
// drains are part of the config cluster's sync: a restarted syncer builds
// nothing before it knows them, so a drain survives restarts. A config
// cluster that does not serve the kind (its CRD not applied) has no drains:
// that is logged once and counts as synced, so the policies still apply.
func (cc *configCluster) watchDrains(f dynamicinformer.DynamicSharedInformerFactory, h cache.ResourceEventHandler, log *slog.Logger) {
	cc.drain = f.ForResource(v1alpha1.GSLBDrains).Informer()
	_ = cc.drain.SetTransform(toTyped(func() runtime.Object { return &v1alpha1.GSLBDrain{} }))
	_ = cc.drain.SetWatchErrorHandlerWithContext(cc.drainWatchError(log))
	_, _ = cc.drain.AddEventHandler(h)
}

func (cc *configCluster) drainWatchError(log *slog.Logger) cache.WatchErrorHandlerWithContext {
	return func(ctx context.Context, r *cache.Reflector, err error) {
		if apierrors.IsNotFound(err) && !cc.drainsAbsent.Swap(true) {
			log.Warn("the config cluster does not serve GSLBDrain (apply deploy/crds): no drains apply until it does", "err", err)
		}
		cache.DefaultWatchErrorHandler(ctx, r, err)
	}
}

// drainsSynced tells whether the drains are known.
func (cc *configCluster) drainsSynced() bool {
	return cc.drain.HasSynced() || cc.drainsAbsent.Load()
}

// listDrains returns the drains as last seen.
func (cc *configCluster) listDrains() []*v1alpha1.GSLBDrain {
	var ds []*v1alpha1.GSLBDrain
	for _, o := range cc.drain.GetStore().List() {
		if d, ok := o.(*v1alpha1.GSLBDrain); ok {
			ds = append(ds, d)
		}
	}
	return ds
}

// drains returns the drains of the config cluster (the replaced one while
// the new one syncs).
func (s *Source) drains() []*v1alpha1.GSLBDrain {
	cc := s.activeConfig()
	if cc == nil {
		return nil
	}
	return cc.listDrains()
}
