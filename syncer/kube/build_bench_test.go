package kube

import (
	"fmt"
	"log/slog"
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"
	"github.com/gslbdns/gslb/syncer/kube/table"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

// scaleInput is 3 clusters × n Ingresses (one FQDN each) and one policy.
func scaleInput(n int) table.Input {
	in := table.Input{Zones: []string{"avi.iberia.local."}}
	for c := range 3 {
		cv := table.ClusterView{Name: fmt.Sprintf("c%d", c), NamespaceLabels: map[string]map[string]string{"default": nil}}
		for i := range n {
			cv.Objects = append(cv.Objects, table.Object{Kind: "Ingress", Namespace: "default", Name: fmt.Sprintf("p%05d", i),
				Labels: map[string]string{"app": "gslb"}, FQDNs: []string{fmt.Sprintf("p%05d.avi.iberia.local.", i)},
				Addresses: []string{fmt.Sprintf("127.%d.%d.%d", 20+c, i/250, i%250+1)}})
		}
		in.Clusters = append(in.Clusters, cv)
	}
	ttl := int32(30)
	in.Policies = []*v1alpha1.GlobalDeploymentPolicy{{
		ObjectMeta: metav1.ObjectMeta{Namespace: "gslb", Name: "p"},
		Spec: v1alpha1.GlobalDeploymentPolicySpec{
			MatchRules:   v1alpha1.MatchRules{AppSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "gslb"}}},
			TTL:          &ttl,
			TrafficSplit: []v1alpha1.TrafficSplit{{Cluster: "c0", Weight: 6}, {Cluster: "c1", Weight: 4}, {Cluster: "c2", Weight: 2}},
		},
	}}
	return in
}

func BenchmarkBuild(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		in := scaleInput(n)
		b.Run(fmt.Sprintf("fqdns=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if r := table.Build(in); len(r.Records) != n {
					b.Fatalf("%d records", len(r.Records))
				}
			}
		})
	}
}

// BenchmarkChange is the syncer's work for one changed object with n FQDNs
// per cluster: reading the caches (view), Build, and the comparison with
// the last table.
func BenchmarkChange(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("fqdns=%d", n), func(b *testing.B) {
			var members []*member
			for c := range 3 {
				st := &stores{svc: cache.NewIndexer(cache.MetaNamespaceKeyFunc, objectIndexers()),
					ing: cache.NewIndexer(cache.MetaNamespaceKeyFunc, objectIndexers()),
					ns:  cache.NewStore(cache.MetaNamespaceKeyFunc), eps: cache.NewIndexer(cache.MetaNamespaceKeyFunc, sliceIndexers())}
				for i := range n {
					name := fmt.Sprintf("p%05d", i)
					_ = st.ing.Add(benchIngress(name, fmt.Sprintf("127.%d.%d.%d", 20+c, i/250, i%250+1)))
					_ = st.eps.Add(&discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name,
						Labels: map[string]string{discoveryv1.LabelServiceName: name}}, Endpoints: make([]discoveryv1.Endpoint, 3)})
				}
				_ = st.ns.Add(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "default"}})
				members = append(members, &member{name: fmt.Sprintf("c%d", c), served: st, up: true, m: newMetrics(nil), opts: &Options{Grace: time.Minute}})
			}
			benchViews(b, members, "p00042.avi.iberia.local.")
		})
	}
}

// benchViews measures view and Build of members, after a change of one
// FQDN (partial) and of everything (full); with refs (routedirty.go), also
// the partial build of a change of those objects as the worker makes it:
// the references resolved, and what the table has of the routes recorded
// (partial-ref).
func benchViews(b *testing.B, members []*member, dirtyFQDN string, refs ...objectRef) {
	pol := scaleInput(1).Policies
	s := &Source{metrics: newMetrics(nil), opts: Options{Zones: []string{"avi.iberia.local."}}, log: slog.New(slog.DiscardHandler)}
	full := func() table.Result {
		vs := make([]table.ClusterView, len(members))
		for i, m := range members {
			vs[i] = m.view()
		}
		return table.Build(table.Input{Clusters: vs, Policies: pol, Zones: s.opts.Zones})
	}
	lastRes := full()
	last := lastRes.Records
	if len(last) == 0 {
		b.Fatal("no records")
	}
	b.Run("partial", func(b *testing.B) {
		b.ReportAllocs()
		dirty := []string{dirtyFQDN}
		for b.Loop() {
			vs := make([]table.ClusterView, len(members))
			for i, m := range members {
				vs[i] = m.partialView(dirty)
			}
			res := table.Build(table.Input{Clusters: vs, Policies: pol, Zones: s.opts.Zones})
			if !equalTables(table.MergeRecords(last, dirty, res), last) {
				b.Fatal("changed")
			}
		}
	})
	if len(refs) > 0 {
		benchRefs(b, members, last, pol, s.opts.Zones, refs)
	}
	// The status part of a partial build merged into the last result
	// (mergeResult): done after the table is handed on.
	b.Run("partial-status", func(b *testing.B) {
		b.ReportAllocs()
		dirty := []string{dirtyFQDN}
		vs := make([]table.ClusterView, len(members))
		for i, m := range members {
			vs[i] = m.partialView(dirty)
		}
		part := table.Build(table.Input{Clusters: vs, Policies: pol, Zones: s.opts.Zones})
		tab := table.MergeRecords(last, dirty, part)
		for b.Loop() {
			if r := table.MergeResult(lastRes, dirty, part, tab, vs); len(r.Policies) != len(lastRes.Policies) {
				b.Fatal("policies lost")
			}
		}
	})
	b.Run("full", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if res := full(); !equalTables(res.Records, last) {
				b.Fatal("changed")
			}
		}
	})
}

func benchIngress(name, ip string) *networkingv1.Ingress {
	pt := networkingv1.PathTypePrefix
	return &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, Labels: map[string]string{"app": "gslb"}},
		Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{Host: name + ".avi.iberia.local", IngressRuleValue: networkingv1.IngressRuleValue{
			HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{Path: "/", PathType: &pt,
				Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: name}}}}},
		}}}},
		Status: networkingv1.IngressStatus{LoadBalancer: networkingv1.IngressLoadBalancerStatus{Ingress: []networkingv1.IngressLoadBalancerIngress{{IP: ip}}}},
	}
}

// benchRefs measures the partial build of a change of the objects refs
// name, from the resolution of the references to the record of what the
// table has of the routes.
func benchRefs(b *testing.B, members []*member, last []*gslbv1.Record, pol []*v1alpha1.GlobalDeploymentPolicy, zones []string, refs []objectRef) {
	vs := make([]table.ClusterView, len(members))
	for i, m := range members {
		vs[i] = m.view()
	}
	publishViews(members, vs, true, nil)
	b.Run("partial-ref", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			dirty := dirtyFQDNs(members, refs)
			if len(dirty) == 0 {
				b.Fatal("nothing dirty")
			}
			for i, m := range members {
				vs[i] = m.partialView(dirty)
			}
			res := table.Build(table.Input{Clusters: vs, Policies: pol, Zones: zones})
			if !equalTables(table.MergeRecords(last, dirty, res), last) {
				b.Fatal("changed")
			}
			publishViews(members, vs, false, dirty)
		}
	})
}
