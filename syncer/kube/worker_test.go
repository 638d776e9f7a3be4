package kube

import (
	"testing"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"
	"github.com/gslbdns/gslb/syncer/kube/internal/kubetest"
	"github.com/gslbdns/gslb/syncer/source"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

// syncedCache is a config cluster's informer as the worker reads it: a
// store that has synced (nothing runs).
type syncedCache struct {
	cache.SharedIndexInformer
	store cache.Store
}

func (c syncedCache) HasSynced() bool       { return true }
func (c syncedCache) GetStore() cache.Store { return c.store }

func newSyncedCache(objs ...any) syncedCache {
	st := cache.NewStore(cache.MetaNamespaceKeyFunc)
	for _, o := range objs {
		_ = st.Add(o)
	}
	return syncedCache{store: st}
}

// One work call on the caches of a member and a config cluster: the
// worker reports the table once, with the time of the key that asked for
// it, and hands the status part of the build to the status writer.
func TestWorkReportsTheTable(t *testing.T) {
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "hello", Labels: map[string]string{"app": "gslb"},
		Annotations: map[string]string{v1alpha1.AnnotationHostname: kubetest.Hello}},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Ports: []corev1.ServicePort{{Port: 80}}}}
	svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "127.0.0.11"}}
	st := &stores{svc: cache.NewIndexer(cache.MetaNamespaceKeyFunc, objectIndexers()),
		ing: cache.NewIndexer(cache.MetaNamespaceKeyFunc, objectIndexers()),
		ns:  cache.NewStore(cache.MetaNamespaceKeyFunc), eps: cache.NewIndexer(cache.MetaNamespaceKeyFunc, sliceIndexers()),
		opt: newRandomOptionals()}
	_ = st.svc.Add(svc)
	_ = st.ns.Add(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "default"}})

	p := kubetest.Policy("p", 0)
	s := New(Options{}, nil)
	s.members["s1az1"] = &member{name: "s1az1", served: st, up: true, m: s.metrics, opts: &s.opts}
	s.order = []string{"s1az1"}
	cc := &configCluster{
		gdp: newSyncedCache(p),
		ghr: newSyncedCache(), drain: newSyncedCache(),
	}
	s.config = cc

	s.enqueue(allKey)
	first := s.queue.first[allKey]
	s.queue.shutDown() // work returns once the queued keys are done
	var changes []source.Change
	s.work(func(c source.Change) { changes = append(changes, c) })

	if len(changes) != 1 {
		t.Fatalf("%d changes, want 1", len(changes))
	}
	c := changes[0]
	if !c.Since.Equal(first) {
		t.Errorf("Since %v, want when the key was enqueued (%v)", c.Since, first)
	}
	// The Service has no EndpointSlice in the cache: its member is down, with the reason.
	if len(c.Records) != 1 || c.Records[0].Fqdn != kubetest.Hello || len(c.Records[0].Members) != 1 ||
		c.Records[0].Members[0].Address != "127.0.0.11" || c.Records[0].Members[0].Health != gslbv1.Health_HEALTH_DOWN ||
		c.Records[0].Members[0].HealthReason != "no EndpointSlice for service default/hello" {
		t.Errorf("table %v, want hello at 127.0.0.11, down for want of endpoints", c.Records)
	}
	if r := s.lastBuilt().Policies["gslb/p"]; r == nil || !r.Accepted || len(r.FQDNs) != 1 {
		t.Errorf("status writer's input %+v, want the policy accepted with its FQDN", r)
	}
	if n := s.queue.len(); n != 0 {
		t.Errorf("%d keys left in the queue", n)
	}
}
