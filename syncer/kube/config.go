package kube

import (
	"context"
	"sync/atomic"

	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/kubernetes"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
)

// configCluster watches the policies and host rules, and records Events
// on them.
type configCluster struct {
	hash     string
	stopped  <-chan struct{} // closed by stop
	dyn      dynamic.Interface
	cs       kubernetes.Interface
	cancel   context.CancelFunc
	gdp, ghr cache.SharedIndexInformer
	events   record.EventBroadcaster
	recorder record.EventRecorder
	writer   *writerElection // whether this syncer writes the status and Events (leader.go)
	probe    *writerElection // whether this syncer leads its site's probes; nil: no probe Lease (probeleader.go)

	// The drains (drainwatch.go); drainsAbsent: the config cluster does
	// not serve GSLBDrain.
	drain        cache.SharedIndexInformer
	drainsAbsent atomic.Bool
}

func newConfigCluster(ctx context.Context, cfg *rest.Config, s *Source) (*configCluster, error) {
	cfg = clientConfig(cfg)
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	cc := &configCluster{hash: configHash(cfg), stopped: ctx.Done(), dyn: dyn, cs: cs, cancel: cancel}
	if cc.writer, err = startElection(ctx, cs, s.opts.Lease, s.log, s.writerChanged); err != nil {
		cancel()
		return nil, err
	}
	if err := s.plane.startProbeElection(ctx, cc); err != nil {
		cancel()
		return nil, err
	}
	if err := cc.startEvents(); err != nil {
		cancel()
		return nil, err
	}
	f := dynamicinformer.NewDynamicSharedInformerFactory(waitingForReady(dyn, cs), 0) // configready.go
	cc.gdp = f.ForResource(v1alpha1.GlobalDeploymentPolicies).Informer()
	cc.ghr = f.ForResource(v1alpha1.GSLBHostRules).Informer()
	_ = cc.gdp.SetTransform(toTyped(func() runtime.Object { return &v1alpha1.GlobalDeploymentPolicy{} }))
	_ = cc.ghr.SetTransform(toTyped(func() runtime.Object { return &v1alpha1.GSLBHostRule{} }))
	// A status write changes the object but not its generation: it must
	// not wake a build.
	h := cache.ResourceEventHandlerFuncs{
		AddFunc: func(any) { s.enqueue(allKey) },
		UpdateFunc: func(o, n any) {
			if generationChanged(o, n) {
				s.enqueue(allKey)
			}
		},
		DeleteFunc: func(any) { s.enqueue(allKey) },
	}
	_, _ = cc.gdp.AddEventHandler(h)
	_, _ = cc.ghr.AddEventHandler(h)
	cc.watchDrains(f, h, s.log)
	f.Start(ctx.Done())
	return cc, nil
}

// toTyped converts the dynamic informer's objects to the typed API, so the
// cache holds them typed (and without managed fields).
func toTyped(newObj func() runtime.Object) cache.TransformFunc {
	return func(obj any) (any, error) {
		u, ok := obj.(*unstructured.Unstructured)
		if !ok {
			return obj, nil
		}
		u.SetManagedFields(nil)
		out := newObj()
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, out); err != nil {
			return nil, err
		}
		return out, nil
	}
}

func (cc *configCluster) synced() bool {
	return cc.gdp.HasSynced() && cc.ghr.HasSynced() && cc.drainsSynced()
}

func (cc *configCluster) stop() {
	cc.cancel()
	cc.events.Shutdown()
}

// awaitElection waits until the stopped cluster's election has released
// the Lease, so that another syncer takes over at once (call it without
// holding Source.mu: the election's callbacks take it).
func (cc *configCluster) awaitElection() {
	<-cc.writer.done
	if cc.probe != nil {
		<-cc.probe.done
	}
}

// startEvents starts the Event broadcaster: client-go's correlator
// aggregates repeated Events and spaces them out.
func (cc *configCluster) startEvents() error {
	scheme := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		return err
	}
	cc.events = record.NewBroadcaster()
	cc.events.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: cc.cs.CoreV1().Events("")})
	cc.recorder = cc.events.NewRecorder(scheme, corev1.EventSource{Component: "gslb-syncer"})
	return nil
}

// generationChanged tells whether an update changed the object's
// metadata.generation (its spec), or is not about typed objects.
func generationChanged(o, n any) bool {
	om, ok1 := o.(metav1.Object)
	nm, ok2 := n.(metav1.Object)
	return !ok1 || !ok2 || om.GetGeneration() != nm.GetGeneration()
}

func (cc *configCluster) list() ([]*v1alpha1.GlobalDeploymentPolicy, []*v1alpha1.GSLBHostRule) {
	var ps []*v1alpha1.GlobalDeploymentPolicy
	for _, o := range cc.gdp.GetStore().List() {
		if p, ok := o.(*v1alpha1.GlobalDeploymentPolicy); ok {
			ps = append(ps, p)
		}
	}
	var rs []*v1alpha1.GSLBHostRule
	for _, o := range cc.ghr.GetStore().List() {
		if r, ok := o.(*v1alpha1.GSLBHostRule); ok {
			rs = append(rs, r)
		}
	}
	return ps, rs
}
