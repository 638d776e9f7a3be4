package kube

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/gslbdns/gslb/syncer/kube/table"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

// BenchmarkMemory reports the live heap the kube source holds for 3
// member clusters of n Ingresses (one FQDN each) with one ready
// EndpointSlice each, as TestKubePropagation's clusters: the caches as the
// informers' transforms leave them (with their indexes), the conversions a
// full view keeps (member.conv), and the result of a full build (the table
// and the status part). In MiB, after a GC; allocations are not the point.
func BenchmarkMemory(b *testing.B) {
	const n = 10000
	var caches, conv, result float64
	for b.Loop() {
		base := liveHeap()
		members := memoryMembers(b, n)
		caches = liveHeap() - base
		viewsOf(members) // keeps the conversions, drops the views
		conv = liveHeap() - base - caches
		res := table.Build(table.Input{Clusters: viewsOf(members), Policies: scaleInput(1).Policies, Zones: []string{"avi.iberia.local."}})
		result = liveHeap() - base - caches - conv
		if len(res.Records) != n {
			b.Fatalf("%d records", len(res.Records))
		}
		runtime.KeepAlive(members)
		runtime.KeepAlive(res)
	}
	b.ReportMetric(caches, "caches-MiB")
	b.ReportMetric(conv, "conversions-MiB")
	b.ReportMetric(result, "result-MiB")
	b.ReportMetric(caches+conv+result, "live-MiB")
}

// memoryMembers returns 3 members of n Ingresses and EndpointSlices,
// stored as the informers store them (through their transforms).
func memoryMembers(b *testing.B, n int) []*member {
	var ms []*member
	for c := range 3 {
		st := &stores{svc: cache.NewIndexer(cache.MetaNamespaceKeyFunc, objectIndexers()),
			ing: cache.NewIndexer(cache.MetaNamespaceKeyFunc, objectIndexers()),
			ns:  cache.NewStore(cache.MetaNamespaceKeyFunc), eps: cache.NewIndexer(cache.MetaNamespaceKeyFunc, sliceIndexers())}
		add := func(s cache.Store, transform func(any) (any, error), o any) {
			t, err := transform(o)
			if err == nil {
				err = s.Add(t)
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		ready, labels := true, newLabelSets()
		for i := range n {
			name := fmt.Sprintf("p%05d", i)
			add(st.ing, labels.strip, benchIngress(name, fmt.Sprintf("127.%d.%d.%d", 20+c, i/250, i%250+1)))
			add(st.eps, table.StripSlice, &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name + "-x1",
				UID: "0b7e3c1a-58d4-4f7e-9c2b-1d5a6e7f8a9b", ResourceVersion: "123456",
				Labels: map[string]string{discoveryv1.LabelServiceName: name, discoveryv1.LabelManagedBy: "endpointslice-controller.k8s.io"}},
				AddressType: discoveryv1.AddressTypeIPv4,
				Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"10.0.0.1"}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}}}})
		}
		add(st.ns, labels.strip, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "default"}})
		ms = append(ms, &member{name: fmt.Sprintf("c%d", c), served: st, up: true, m: newMetrics(nil), opts: &Options{Grace: time.Minute}})
	}
	return ms
}

// liveHeap is the live heap after a GC, in MiB.
func liveHeap() float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc) / (1 << 20)
}
