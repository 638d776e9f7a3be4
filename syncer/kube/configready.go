package kube

import (
	"context"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
)

// The config cluster's informers (policies, host rules, drains) resume
// promptly after an outage. Left alone, their reflectors retry a failing
// list or watch on client-go's backoff, which grows to 30 s: an edit made
// after the apiserver is back could wait that long. Member clusters avoid
// it with a readiness probe that starts a fresh informer generation
// (cluster.go); the config cluster's informers, which its elections and
// Event recorder outlive, instead list and watch through readyDynamic: a
// list or watch first waits, polling /readyz every readyPoll, until the
// apiserver is ready. The reflector then never sees the outage's failures
// (no backoff grows), and resumes within readyPoll of the apiserver being
// ready.

// readyPoll is how often a waiting list or watch asks /readyz.
const readyPoll = 100 * time.Millisecond

// readyDynamic is a dynamic client whose List and Watch wait until the
// apiserver is ready; everything else is the client's.
type readyDynamic struct {
	dynamic.Interface
	ready func(context.Context) error
}

// waitingForReady wraps dyn for the config cluster's informers; cs asks
// the same apiserver's /readyz.
func waitingForReady(dyn dynamic.Interface, cs kubernetes.Interface) dynamic.Interface {
	ready := func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		return cs.Discovery().RESTClient().Get().AbsPath("/readyz").Do(ctx).Error()
	}
	return readyDynamic{Interface: dyn, ready: ready}
}

func (d readyDynamic) Resource(gvr schema.GroupVersionResource) dynamic.NamespaceableResourceInterface {
	return readyResource{NamespaceableResourceInterface: d.Interface.Resource(gvr), wait: d.wait}
}

// wait returns once the apiserver is ready, or ctx's error. An answer that
// is not about readiness (401, 403, 404: /readyz not served to us) does
// not hold anything up: the list or watch itself tells.
func (d readyDynamic) wait(ctx context.Context) error {
	for {
		err := d.ready(ctx)
		if err == nil || apierrors.IsUnauthorized(err) || apierrors.IsForbidden(err) || apierrors.IsNotFound(err) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(readyPoll):
		}
	}
}

type readyResource struct {
	dynamic.NamespaceableResourceInterface
	wait func(context.Context) error
}

func (r readyResource) Namespace(ns string) dynamic.ResourceInterface {
	return readyNamespaced{ResourceInterface: r.NamespaceableResourceInterface.Namespace(ns), wait: r.wait}
}

func (r readyResource) List(ctx context.Context, o metav1.ListOptions) (*unstructured.UnstructuredList, error) {
	return readyNamespaced{ResourceInterface: r.NamespaceableResourceInterface, wait: r.wait}.List(ctx, o)
}

func (r readyResource) Watch(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
	return readyNamespaced{ResourceInterface: r.NamespaceableResourceInterface, wait: r.wait}.Watch(ctx, o)
}

type readyNamespaced struct {
	dynamic.ResourceInterface
	wait func(context.Context) error
}

func (r readyNamespaced) List(ctx context.Context, o metav1.ListOptions) (*unstructured.UnstructuredList, error) {
	if err := r.wait(ctx); err != nil {
		return nil, err
	}
	return r.ResourceInterface.List(ctx, o)
}

func (r readyNamespaced) Watch(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
	if err := r.wait(ctx); err != nil {
		return nil, err
	}
	return r.ResourceInterface.Watch(ctx, o)
}
