package kube

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"
	"github.com/gslbdns/gslb/syncer/kube/internal/kubetest"
	"github.com/gslbdns/gslb/syncer/kube/table"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

// randomCluster mutates the caches of one member cluster at random, as
// watch events would, and returns the FQDNs each change concerns (what the
// event handlers enqueue).
type randomCluster struct {
	r  *rand.Rand
	m  *member
	st *stores
}

func newRandomCluster(r *rand.Rand, name string) *randomCluster {
	st := &stores{svc: cache.NewIndexer(cache.MetaNamespaceKeyFunc, objectIndexers()),
		ing: cache.NewIndexer(cache.MetaNamespaceKeyFunc, objectIndexers()),
		ns:  cache.NewStore(cache.MetaNamespaceKeyFunc), eps: cache.NewIndexer(cache.MetaNamespaceKeyFunc, sliceIndexers()),
		opt: newRandomOptionals()}
	_ = st.ns.Add(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a", Labels: map[string]string{"env": "prod"}}})
	_ = st.ns.Add(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "b"}})
	m := &member{name: name, served: st, up: true, m: newMetrics(nil), opts: &Options{Grace: time.Minute}}
	return &randomCluster{r: r, m: m, st: st}
}

func (c *randomCluster) fqdn() string { return fmt.Sprintf("f%02d.avi.iberia.local", c.r.IntN(30)) }

func (c *randomCluster) labels() map[string]string {
	return map[string]string{"app": []string{"gslb", "other", "none"}[c.r.IntN(3)]}
}

func (c *randomCluster) addr() string { return fmt.Sprintf("127.0.%d.%d", c.r.IntN(4), 1+c.r.IntN(3)) }

// change makes one random change and returns the keys the event handlers
// enqueue: FQDNs, or references to routes, Gateways and backends.
func (c *randomCluster) change() []workKey {
	ns := []string{"a", "b"}[c.r.IntN(2)]
	name := fmt.Sprintf("o%d", c.r.IntN(12))
	svcName := fmt.Sprintf("s%d", c.r.IntN(6))
	switch c.r.IntN(8) {
	case 5, 6, 7: // a Gateway, an HTTPRoute or an OpenShift Route
		return c.changeOptional(ns)
	case 0, 1: // create or update an Ingress (one or two hosts, one or two backends)
		pt := networkingv1.PathTypePrefix
		in := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: c.labels()}}
		for range 1 + c.r.IntN(2) {
			var paths []networkingv1.HTTPIngressPath
			for range 1 + c.r.IntN(2) {
				paths = append(paths, networkingv1.HTTPIngressPath{Path: "/", PathType: &pt, Backend: networkingv1.IngressBackend{
					Service: &networkingv1.IngressServiceBackend{Name: fmt.Sprintf("s%d", c.r.IntN(6))}}})
			}
			in.Spec.Rules = append(in.Spec.Rules, networkingv1.IngressRule{Host: c.fqdn(),
				IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: paths}}})
		}
		in.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{{IP: c.addr()}}
		return c.put(c.st.ing, in)
	case 2: // create or update a LoadBalancer Service
		s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: svcName, Labels: c.labels(),
			Annotations: map[string]string{v1alpha1.AnnotationHostname: c.fqdn()}},
			Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Ports: []corev1.ServicePort{{Port: 80}}}}
		s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: c.addr()}}
		return c.put(c.st.svc, s)
	case 3: // delete an object
		idx := []cache.Indexer{c.st.svc, c.st.ing}[c.r.IntN(2)]
		keys := idx.ListKeys()
		if len(keys) == 0 {
			return nil
		}
		o, _, _ := idx.GetByKey(keys[c.r.IntN(len(keys))])
		_ = idx.Delete(o)
		return fqdnKeys(table.ObjectFQDNs(o))
	default: // an EndpointSlice: ready, not ready, or gone
		key := ns + "/" + svcName
		sl := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: svcName,
			Labels: map[string]string{discoveryv1.LabelServiceName: svcName}}, AddressType: discoveryv1.AddressTypeIPv4}
		ready := c.r.IntN(3) > 0
		sl.Endpoints = []discoveryv1.Endpoint{{Conditions: discoveryv1.EndpointConditions{Ready: &ready}}}
		if c.r.IntN(4) == 0 {
			_ = c.st.eps.Delete(sl)
		} else {
			_ = c.st.eps.Update(sl)
		}
		var keys []workKey
		if c.st.opt.usesService(key) {
			keys = append(keys, refKey(c.m.name, refBackend, key))
		}
		for _, idx := range []cache.Indexer{c.st.svc, c.st.ing} {
			objs, _ := idx.ByIndex(backendIndex, key)
			for _, o := range objs {
				keys = append(keys, fqdnKeys(table.ObjectFQDNs(o))...)
			}
		}
		return keys
	}
}

func (c *randomCluster) put(idx cache.Indexer, o any) []workKey {
	var fqdns []string
	if old, ok, _ := idx.Get(o); ok {
		fqdns = table.ObjectFQDNs(old)
	}
	_ = idx.Update(o)
	return fqdnKeys(append(fqdns, table.ObjectFQDNs(o)...))
}

// Rebuilding only the changed FQDNs gives the table a full build gives,
// and the status part of its result (mergeResult) the full build's, over
// random changes of objects (Services, Ingresses, Gateways, HTTPRoutes,
// OpenShift Routes) and endpoints in three clusters, with two
// overlapping policies (conflicts), a host rule and a health check; the
// third cluster is up, unreachable or expired (its members kept where no
// other is left) depending on the seed.
func TestPartialBuildEqualsFull(t *testing.T) {
	refusals := 0
	resolved := map[string]int{} // references that dirtied something, by what they name
	for seed := range uint64(30) {
		r := rand.New(rand.NewPCG(seed, 7))
		var cs []*randomCluster
		for _, n := range []string{"s1az1", "s1az2", "s2"} {
			cs = append(cs, newRandomCluster(r, n))
		}
		if seed%3 > 0 {
			cs[2].m.up, cs[2].m.downSince = false, time.Now().Add(-time.Duration(seed%3-1)*time.Hour) // 1: unreachable, 2: expired
		}
		older := kubetest.Policy("older", 0, func(s *v1alpha1.GlobalDeploymentPolicySpec) {
			s.HealthCheck = &v1alpha1.HealthCheck{Type: v1alpha1.HealthCheckTCP}
		})
		newer := kubetest.Policy("newer", 5, func(s *v1alpha1.GlobalDeploymentPolicySpec) {
			s.MatchRules.AppSelector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
				{Key: "app", Operator: metav1.LabelSelectorOpIn, Values: []string{"gslb", "other"}}}}
			s.MatchRules.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"env": "prod"}}
			s.MatchClusters = []string{"s2", "s1az1"}
			s.EndpointReadiness = v1alpha1.ReadinessAny
		})
		hr := &v1alpha1.GSLBHostRule{ObjectMeta: metav1.ObjectMeta{Namespace: "gslb", Name: "h"},
			Spec: v1alpha1.GSLBHostRuleSpec{FQDN: "f03.avi.iberia.local", ThirdPartyMembers: []v1alpha1.ThirdPartyMember{{Address: "192.0.2.1", Weight: 1}},
				HealthCheck: &v1alpha1.HealthCheck{Path: "/x"}}} // refused on top of the older policy's TCP check, when it owns f03
		full := func(view func(*randomCluster) table.ClusterView) table.Result {
			in := table.Input{Policies: []*v1alpha1.GlobalDeploymentPolicy{older, newer}, HostRules: []*v1alpha1.GSLBHostRule{hr},
				Zones: []string{"avi.iberia.local."}}
			for _, c := range cs {
				in.Clusters = append(in.Clusters, view(c))
			}
			return table.Build(in)
		}
		var ms []*member
		var views []table.ClusterView
		for _, c := range cs {
			ms = append(ms, c.m)
		}
		res := full(func(c *randomCluster) table.ClusterView { v := c.m.view(); views = append(views, v); return v })
		publishViews(ms, views, true, nil)
		tab := res.Records
		kept, refused := 0, 0
		for step := range 150 {
			c := cs[r.IntN(len(cs))]
			keys := c.change()
			fqdns, refs, _ := splitKeys(keys)
			dirty := append(fqdns, dirtyFQDNs(ms, refs)...)
			for _, k := range refs {
				if len(dirtyFQDNs(ms, []objectRef{k})) > 0 {
					resolved[k.what]++
				}
			}
			slices.Sort(dirty)
			dirty = slices.Compact(dirty)
			views = nil
			part := full(func(c *randomCluster) table.ClusterView {
				v := c.m.partialView(dirty)
				views = append(views, v)
				return v
			})
			publishViews(ms, views, false, dirty)
			tab = table.MergeRecords(tab, dirty, part)
			res = table.MergeResult(res, dirty, part, tab, views)
			fullRes := full(func(c *randomCluster) table.ClusterView { return c.m.view() })
			want := fullRes.Records
			kept += len(fullRes.KeptExpired)
			refused += b2i(!fullRes.HostRules["gslb/h"].Accepted)
			for _, d := range statusDiff(res, fullRes) {
				t.Fatalf("seed %d step %d (keys %+v, dirty %v): status: %s", seed, step, keys, dirty, d)
			}
			if !equalTables(tab, want) {
				for i := range max(len(tab), len(want)) {
					var g, w string
					if i < len(tab) {
						g = tab[i].String()
					}
					if i < len(want) {
						w = want[i].String()
					}
					if g != w {
						t.Fatalf("seed %d step %d (dirty %v): record %d\n got %s\nwant %s", seed, step, dirty, i, g, w)
					}
				}
				t.Fatalf("seed %d step %d: checks differ", seed, step)
			}
		}
		if len(tab) == 0 {
			t.Errorf("seed %d: empty table: the test exercises nothing", seed)
		}
		refusals += refused
		if seed%3 == 2 && kept == 0 {
			t.Errorf("seed %d: no FQDN kept on an expired cluster: the test exercises less than it says", seed)
		}
	}
	for _, what := range []string{refRoute, refGateway, refBackend} {
		if resolved[what] == 0 {
			t.Errorf("no change of a %s dirtied an FQDN: the test exercises less than it says", what)
		}
	}
	if refusals == 0 {
		t.Errorf("the host rule's check was never refused: the test exercises less than it says")
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// statusDiff says where the status parts of two results differ (a nil
// slice and an empty one are the same: the status writer compares them so).
func statusDiff(got, want table.Result) []string {
	var out []string
	for _, k := range table.SortedKeys(want.Policies) {
		if g, w := fmt.Sprintf("%+v", got.Policies[k]), fmt.Sprintf("%+v", want.Policies[k]); g != w {
			out = append(out, fmt.Sprintf("policy %s\n got %s\nwant %s", k, g, w))
		}
	}
	for _, k := range table.SortedKeys(want.HostRules) {
		if g, w := fmt.Sprintf("%+v", got.HostRules[k]), fmt.Sprintf("%+v", want.HostRules[k]); g != w {
			out = append(out, fmt.Sprintf("host rule %s\n got %s\nwant %s", k, g, w))
		}
	}
	if len(got.Policies) != len(want.Policies) || len(got.HostRules) != len(want.HostRules) {
		out = append(out, fmt.Sprintf("%d policies and %d host rules, want %d and %d", len(got.Policies), len(got.HostRules), len(want.Policies), len(want.HostRules)))
	}
	if !equality.Semantic.DeepEqual(got.KeptExpired, want.KeptExpired) || !equality.Semantic.DeepEqual(got.OutOfZone, want.OutOfZone) {
		out = append(out, fmt.Sprintf("kept %v out of zone %v, want %v %v", got.KeptExpired, got.OutOfZone, want.KeptExpired, want.OutOfZone))
	}
	return out
}
