package kube

// The work queue: the informers' handlers enqueue keys (workKey), the
// worker takes every queued key at once (worker.go). The queue remembers
// when each key was first enqueued, the start of the event-to-table
// latency. Its lock is a leaf: enqueue may be called with Source.mu or a
// member's mu held, and takes no other lock.

import (
	"sync"
	"time"

	"k8s.io/client-go/util/workqueue"
)

// workKey is what the worker is asked to rebuild: everything (all), the
// records of one FQDN, or what a change of an object concerns (ref).
type workKey struct {
	all  bool
	fqdn string
	ref  objectRef
}

// objectRef names an object of a member cluster whose change dirties FQDNs
// an event handler cannot tell: a route (what refRoute, key
// kind/namespace/name), a Gateway (refGateway, namespace/name) or a
// route's backend Service (refBackend, namespace/name). The worker
// resolves it (routedirty.go).
type objectRef struct {
	cluster, what, key string
}

// allKey asks for a rebuild of everything (policies, namespaces, cluster state).
var allKey = workKey{all: true}

// refKey is the key of a change of what key in cluster.
func refKey(cluster, what, key string) workKey {
	return workKey{ref: objectRef{cluster: cluster, what: what, key: key}}
}

// fqdnKeys are the keys of the records of fqdns.
func fqdnKeys(fqdns []string) []workKey {
	out := make([]workKey, len(fqdns))
	for i, f := range fqdns {
		out[i] = workKey{fqdn: f}
	}
	return out
}

// workQueue is the worker's queue, with when each key was first enqueued.
type workQueue struct {
	q     workqueue.TypedInterface[workKey]
	mu    sync.Mutex // a leaf lock: guards first only
	first map[workKey]time.Time
}

func newWorkQueue() *workQueue {
	return &workQueue{
		q:     workqueue.NewTypedWithConfig(workqueue.TypedQueueConfig[workKey]{Name: "gslb-fqdns"}),
		first: map[workKey]time.Time{},
	}
}

// add enqueues keys, noting when each was first enqueued.
func (w *workQueue) add(keys ...workKey) {
	now := time.Now()
	w.mu.Lock()
	for _, k := range keys {
		if _, ok := w.first[k]; !ok {
			w.first[k] = now
		}
	}
	w.mu.Unlock()
	for _, k := range keys {
		w.q.Add(k)
	}
}

// take waits for a key and takes every key queued: one build serves them
// all. It reports false once the queue is shut down.
func (w *workQueue) take() ([]workKey, bool) {
	key, shutdown := w.q.Get()
	if shutdown {
		return nil, false
	}
	keys := []workKey{key}
	for w.q.Len() > 0 {
		k, sd := w.q.Get()
		if sd {
			break
		}
		keys = append(keys, k)
	}
	return keys, true
}

// firstEnqueued returns when the earliest of keys was enqueued (now when
// none is known), and forgets them.
func (w *workQueue) firstEnqueued(keys []workKey) time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	var first time.Time
	for _, k := range keys {
		if t, ok := w.first[k]; ok && (first.IsZero() || t.Before(first)) {
			first = t
		}
		delete(w.first, k)
	}
	if first.IsZero() {
		first = time.Now()
	}
	return first
}

// done marks keys processed: those enqueued again meanwhile are queued.
func (w *workQueue) done(keys []workKey) {
	for _, k := range keys {
		w.q.Done(k)
	}
}

func (w *workQueue) len() int { return w.q.Len() }

func (w *workQueue) shutDown() { w.q.ShutDown() }

// splitKeys returns the FQDNs among keys, the references to objects, and
// whether allKey is one.
func splitKeys(keys []workKey) (fqdns []string, refs []objectRef, full bool) {
	for _, k := range keys {
		switch {
		case k.all:
			full = true
		case k.ref != objectRef{}:
			refs = append(refs, k.ref)
		default:
			fqdns = append(fqdns, k.fqdn)
		}
	}
	return fqdns, refs, full
}
