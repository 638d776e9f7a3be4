package kube

import (
	"fmt"
	"strings"
	"testing"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"
	"github.com/gslbdns/gslb/syncer/gslbctl"
	"github.com/gslbdns/gslb/test/e2e/harness"
	"github.com/gslbdns/gslb/test/kubescenario"

	"github.com/miekg/dns"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
)

// TestKubeHostRulePublicRouterUDPRoute, on the lab with probes at the demo
// sites and the default kinds=auto:
//   - no cluster's status names the optional kinds it does not serve;
//   - hello published in s2 by a UDPRoute (its FQDN in the hostname
//     annotation: a UDP listener has no hostname) joins the 6:4:2 split;
//   - a GSLBHostRule's publicAddresses for s2 are answered over the route's
//     public-addresses annotation, while the probes still hit the demo site
//     at 127.0.0.13 (counted there); its invalid value and unknown cluster
//     are named in the rule's status; the site stopped, the member leaves;
//     back, it returns;
//   - a Route in s1az2 whose router's LoadBalancer Service has the address
//     127.0.0.12 serves as that member (an A record, probed up); the
//     router's Service deleted, its canonical hostname is answered (CNAME).
func TestKubeHostRulePublicRouterUDPRoute(t *testing.T) {
	l := startLab(t, "&metrics=127.0.0.1:0")
	ctx := l.ctx
	sites := startSites(t)
	l.patchPolicy(t, kubescenario.GDPName, fmt.Sprintf(`{"spec":{"healthCheck":{"type":"HTTP","port":%d,"path":"/","interval":"1s","timeout":"800ms","rise":2,"fall":3}}}`, sites.port))
	l.waitProbedUp(t, 3)
	l.expectSplit(t, [3]int32{6, 4, 2})

	t.Run("kinds=auto: missing kinds counted, not in the status", func(t *testing.T) {
		waitMetric(t, l.s.Process, `gslb_syncer_kube_kind_watched{cluster="s2",kind="HTTPRoute"}`, "0")
		harness.Eventually(t, wait, func() error {
			cs := l.policy(t, kubescenario.GDPName).Status.Clusters
			if len(cs) != 3 {
				return fmt.Errorf("status clusters %+v", cs)
			}
			for _, c := range cs {
				if c.State != v1alpha1.StateSynced || c.Members != 1 {
					return fmt.Errorf("status clusters %+v, want 3 synced with a member", cs)
				}
				if strings.Contains(c.Message, "CRD not installed") {
					t.Errorf("cluster %s: message %q names the kinds it does not serve", c.Cluster, c.Message)
				}
			}
			return nil
		})
	})

	s2 := l.env.Cluster("s2")
	dyn2, err := dynamic.NewForConfig(s2.Config())
	must(t, err)
	t.Run("UDPRoute in s2", func(t *testing.T) {
		must(t, kubescenario.InstallGatewayCRDs(ctx, s2.Config(), harness.RepoRoot(t)))
		waitMetric(t, l.s.Process, `gslb_syncer_kube_kind_watched{cluster="s2",kind="UDPRoute"}`, "1")
		unpublish(t, ctx, l.cs["s2"])
		l.waitSet(t, hello, dns.TypeA, 12, "127.0.0.11,127.0.0.12")
		must(t, kubescenario.GatewayWith(ctx, dyn2, kubescenario.AppNS, "udp", kubescenario.Listener{Name: "dns", Protocol: "UDP", Port: 5353},
			nil, kubescenario.LBAddress["s2"]))
		must(t, kubescenario.GatewayRoute(ctx, dyn2, kubescenario.UDPRoutes, kubescenario.AppNS, "hello", map[string]string{"app": "gslb"},
			map[string]string{v1alpha1.AnnotationHostname: kubescenario.Hello}, nil, "udp", "dns", "hello"))
		l.expectSplit(t, [3]int32{6, 4, 2})
	})

	t.Run("GSLBHostRule publicAddresses answered, load balancer probed", func(t *testing.T) {
		patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:"198.51.100.9"}}}`, v1alpha1.AnnotationPublicAddresses)
		_, err := dyn2.Resource(kubescenario.UDPRoutes).Namespace(kubescenario.AppNS).Patch(ctx, "hello", types.MergePatchType, []byte(patch), metav1.PatchOptions{})
		must(t, err)
		l.waitSet(t, hello, dns.TypeA, 12, "127.0.0.11,127.0.0.12,198.51.100.9")
		hr := &v1alpha1.GSLBHostRule{
			TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.SchemeGroupVersion.String(), Kind: "GSLBHostRule"},
			ObjectMeta: metav1.ObjectMeta{Namespace: kubescenario.PolicyNS, Name: "hello-public"},
			Spec: v1alpha1.GSLBHostRuleSpec{FQDN: kubescenario.Hello, PublicAddresses: []v1alpha1.ClusterAddresses{
				{Cluster: "s2", Addresses: []string{"203.0.113.7", "not-an-ip"}},
				{Cluster: "s9", Addresses: []string{"203.0.113.8"}},
			}},
		}
		must(t, kubescenario.Apply(ctx, l.dyn, hr))
		l.waitSet(t, hello, dns.TypeA, 12, "127.0.0.11,127.0.0.12,203.0.113.7")
		before := sites.requests("127.0.0.13")
		harness.Eventually(t, wait, func() error {
			if n := sites.requests("127.0.0.13") - before; n < 3 {
				return fmt.Errorf("%d probes at the site since the public address is answered, want 3", n)
			}
			return nil
		})
		if body := metricsBody(t, l); strings.Contains(body, "203.0.113.7") {
			t.Errorf("the public address is probed:\n%s", body)
		}
		harness.Eventually(t, wait, func() error {
			st := l.hostRule(t, "hello-public").Status
			vv, rr := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionValuesValid), meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionResolvedRefs)
			want := `publicAddresses[0].addresses[1] (cluster s2): "not-an-ip" is not an IP address`
			if vv == nil || vv.Status != metav1.ConditionFalse || vv.Reason != v1alpha1.ReasonInvalidValues || !strings.Contains(vv.Message, want) {
				return fmt.Errorf("ValuesValid %+v, want False naming %s", vv, want)
			}
			if rr == nil || rr.Status != metav1.ConditionFalse || !strings.Contains(rr.Message, `publicAddresses "s9": not a member cluster`) {
				return fmt.Errorf("ResolvedRefs %+v, want False naming s9", rr)
			}
			return nil
		})
		sites.stop("127.0.0.13")
		l.waitSet(t, hello, dns.TypeA, 12, "127.0.0.11,127.0.0.12")
		l.waitUnhealthy(t, hello, "203.0.113.7", "refused")
		must(t, sites.start("127.0.0.13"))
		l.waitSet(t, hello, dns.TypeA, 12, "127.0.0.11,127.0.0.12,203.0.113.7")
	})

	t.Run("Route in s1az2 at its router Service's address", func(t *testing.T) {
		s1az2 := l.env.Cluster("s1az2")
		must(t, kubescenario.InstallRouteCRD(ctx, s1az2.Config(), harness.RepoRoot(t)))
		waitMetric(t, l.s.Process, `gslb_syncer_kube_kind_watched{cluster="s1az2",kind="Route"}`, "1")
		must(t, kubescenario.RouterService(ctx, l.cs["s1az2"], "default", kubescenario.LBAddress["s1az2"]))
		unpublish(t, ctx, l.cs["s1az2"])
		l.waitSet(t, hello, dns.TypeA, 12, "127.0.0.11,203.0.113.7")
		dyn, err := dynamic.NewForConfig(s1az2.Config())
		must(t, err)
		const canonical = "router-default.apps.s1az2.example.net"
		must(t, kubescenario.Route(ctx, dyn, kubescenario.AppNS, "hello", map[string]string{"app": "gslb"}, nil, kubescenario.Hello, "hello", canonical))
		l.waitSet(t, hello, dns.TypeA, 12, "127.0.0.11,127.0.0.12,203.0.113.7")
		harness.Eventually(t, wait, func() error {
			for _, m := range gslbctl.FindRecord(l.table(t), hello).GetMembers() {
				if m.GetCluster() == "s1az2" && m.GetAddress() == "127.0.0.12" && m.GetHealth() == gslbv1.Health_HEALTH_UP {
					return nil
				}
			}
			return fmt.Errorf("hello's members %v, want s1az2's at 127.0.0.12 probed up", gslbctl.FindRecord(l.table(t), hello).GetMembers())
		})
		must(t, l.cs["s1az2"].CoreV1().Services(kubescenario.RouterNamespace).Delete(ctx, "router-default", metav1.DeleteOptions{}))
		l.waitSet(t, hello, dns.TypeA, 12, "127.0.0.11,203.0.113.7,CNAME "+canonical+".")
	})
}

// hostRule reads the host rule name of the policies' namespace.
func (l *lab) hostRule(t testing.TB, name string) *v1alpha1.GSLBHostRule {
	t.Helper()
	u, err := l.dyn.Resource(v1alpha1.GSLBHostRules).Namespace(kubescenario.PolicyNS).Get(l.ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var r v1alpha1.GSLBHostRule
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}
