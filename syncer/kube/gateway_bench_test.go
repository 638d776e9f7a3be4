package kube

import (
	"fmt"
	"testing"
	"time"

	"github.com/gslbdns/gslb/syncer/kube/internal/kubetest"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// BenchmarkChangeRoutes is BenchmarkChange with hello's FQDNs published by
// HTTPRoutes (one per FQDN) attached to one Gateway per cluster instead of
// Ingresses: the cost of reading routes, whose FQDNs and addresses come
// from their Gateways (partial-ref: a change of one route and of its
// backend's endpoints, resolved as the worker does).
func BenchmarkChangeRoutes(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("fqdns=%d", n), func(b *testing.B) {
			var members []*member
			for c := range 3 {
				st := &stores{svc: cache.NewIndexer(cache.MetaNamespaceKeyFunc, objectIndexers()),
					ing: cache.NewIndexer(cache.MetaNamespaceKeyFunc, objectIndexers()),
					ns:  cache.NewStore(cache.MetaNamespaceKeyFunc), eps: cache.NewIndexer(cache.MetaNamespaceKeyFunc, sliceIndexers())}
				gws := cache.NewIndexer(cache.MetaNamespaceKeyFunc, optionalIndexers())
				routes := cache.NewIndexer(cache.MetaNamespaceKeyFunc, optionalIndexers())
				gw := kubetest.Gateway(kubetest.IP(fmt.Sprintf("127.0.%d.1", 20+c)))
				gw.Namespace = "default"
				_ = gws.Add(gw)
				ref := gwv1.ParentReference{Name: "gw", SectionName: kubetest.Ptr(gwv1.SectionName("any"))}
				for i := range n {
					name := fmt.Sprintf("p%05d", i)
					r := testRoute([]string{name + ".avi.iberia.local"}, []gwv1.ParentReference{ref}, kubetest.Accepted(ref), kubetest.SvcRef(name))
					r.Name = name
					_ = routes.Add(r)
					_ = st.eps.Add(&discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name,
						Labels: map[string]string{discoveryv1.LabelServiceName: name}}, Endpoints: make([]discoveryv1.Endpoint, 3)})
				}
				st.opt = &optionals{idx: map[string]cache.Indexer{"Gateway": gws, "HTTPRoute": routes}}
				_ = st.ns.Add(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "default"}})
				members = append(members, &member{name: fmt.Sprintf("c%d", c), served: st, up: true, m: newMetrics(nil), opts: &Options{Grace: time.Minute}})
			}
			// A change of route p00042 and of its backend's endpoints, in c0.
			benchViews(b, members, "p00042.avi.iberia.local.", objectRef{"c0", refRoute, "HTTPRoute/default/p00042"},
				objectRef{"c0", refBackend, "default/p00042"})
		})
	}
}
