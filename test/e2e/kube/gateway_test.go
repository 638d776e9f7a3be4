package kube

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"
	"github.com/gslbdns/gslb/test/e2e/harness"
	"github.com/gslbdns/gslb/test/kubescenario"

	"github.com/miekg/dns"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
)

const all3 = "127.0.0.11,127.0.0.12,127.0.0.13"

// unpublish removes the label app: gslb from hello's Service and Ingress in
// cs: they are no longer matched by the policy.
func unpublish(t *testing.T, ctx context.Context, cs kubernetes.Interface) {
	t.Helper()
	patch := []byte(`{"metadata":{"labels":{"app":null}}}`)
	if _, err := cs.CoreV1().Services(kubescenario.AppNS).Patch(ctx, "hello", types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.NetworkingV1().Ingresses(kubescenario.AppNS).Patch(ctx, "hello", types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
}

// annotatePublic sets (value "": removes) the public-addresses annotation
// of hello's Service and Ingress in cs.
func annotatePublic(t *testing.T, ctx context.Context, cs kubernetes.Interface, value string) {
	t.Helper()
	v := "null"
	if value != "" {
		v = fmt.Sprintf("%q", value)
	}
	patch := []byte(fmt.Sprintf(`{"metadata":{"annotations":{%q:%s}}}`, v1alpha1.AnnotationPublicAddresses, v))
	if _, err := cs.CoreV1().Services(kubescenario.AppNS).Patch(ctx, "hello", types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.NetworkingV1().Ingresses(kubescenario.AppNS).Patch(ctx, "hello", types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
}

// clusterMessage waits until the policy's status says of cluster a message
// that contains want.
func (l *lab) waitClusterMessage(t *testing.T, cluster, want string) {
	t.Helper()
	harness.Eventually(t, wait, func() error {
		for _, c := range l.policy(t, kubescenario.GDPName).Status.Clusters {
			if c.Cluster == cluster && strings.Contains(c.Message, want) {
				return nil
			}
		}
		return fmt.Errorf("cluster %s: status %+v, want a message with %q", cluster, l.policy(t, kubescenario.GDPName).Status.Clusters, want)
	})
}

// countLog counts the syncer's log lines matching re.
func (l *lab) countLog(re string) int {
	return len(regexp.MustCompile(`(?m)`+re).FindAllString(l.s.Log(), -1))
}

// TestKubeGatewayRoute: s2 runs without the Gateway API CRDs (said once, in
// the log, the metric and, with kinds=all, the policy's status, no error loop); they are
// installed live and the watch starts; hello is then published in s2 by a
// Gateway (status address 127.0.0.13) and an HTTPRoute labelled app: gslb,
// and joins the 6:4:2 split exactly; the route detached leaves, attached
// returns; its backend at 0 ready endpoints leaves, back returns; those
// route and backend changes rebuild only hello (partial builds, no full
// one).
func TestKubeGatewayRoute(t *testing.T) {
	l := startLab(t, "&metrics=127.0.0.1:0&kinds=all")
	ctx := l.ctx
	l.waitSet(t, hello, dns.TypeA, 12, all3)
	httpRoute := `gslb_syncer_kube_kind_watched{cluster="s2",kind="HTTPRoute"}`
	waitMetric(t, l.s.Process, httpRoute, "0")
	l.waitClusterMessage(t, "s2", "not watched until they appear: GRPCRoute, Gateway, HTTPRoute, Route, TCPRoute, TLSRoute, UDPRoute")

	root := harness.RepoRoot(t)
	s2 := l.env.Cluster("s2")
	must(t, kubescenario.InstallGatewayCRDs(ctx, s2.Config(), root))
	waitMetric(t, l.s.Process, httpRoute, "1")
	l.waitClusterMessage(t, "s2", "not watched until they appear: Route")
	dyn2, err := dynamic.NewForConfig(s2.Config())
	must(t, err)

	// Every kind of the CRDs watched: each one that appears makes a full
	// build, none must come after the route's first (the count below).
	for _, k := range []string{"Gateway", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"} {
		waitMetric(t, l.s.Process, `gslb_syncer_kube_kind_watched{cluster="s2",kind="`+k+`"}`, "1")
	}

	unpublish(t, ctx, l.cs["s2"])
	l.waitSet(t, hello, dns.TypeA, 12, "127.0.0.11,127.0.0.12")
	must(t, kubescenario.Gateway(ctx, dyn2, kubescenario.AppNS, "gw", kubescenario.Hello, nil, kubescenario.LBAddress["s2"]))
	must(t, kubescenario.HTTPRoute(ctx, dyn2, kubescenario.AppNS, "hello", map[string]string{"app": "gslb"}, kubescenario.Hello, "gw", "hello"))
	l.expectSplit(t, [3]int32{6, 4, 2})
	builds := l.builds(t)

	t.Run("detached leaves, attached returns", func(t *testing.T) {
		must(t, kubescenario.SetParents(ctx, dyn2, kubescenario.AppNS, "hello"))
		l.waitSet(t, hello, dns.TypeA, 12, "127.0.0.11,127.0.0.12")
		must(t, kubescenario.SetParents(ctx, dyn2, kubescenario.AppNS, "hello", "gw"))
		l.expectSplit(t, [3]int32{6, 4, 2})
	})
	t.Run("backend at 0 ready leaves, back returns", func(t *testing.T) {
		must(t, kubescenario.SetReady(ctx, l.cs["s2"], kubescenario.AppNS, "hello", 0, 3))
		l.waitSet(t, hello, dns.TypeA, 12, "127.0.0.11,127.0.0.12")
		l.waitUnhealthy(t, hello, "127.0.0.13", "0/3 endpoints ready in service "+kubescenario.AppNS+"/hello")
		must(t, kubescenario.SetReady(ctx, l.cs["s2"], kubescenario.AppNS, "hello", 3, 0))
		l.expectSplit(t, [3]int32{6, 4, 2})
	})
	if now := l.builds(t); now[0] != builds[0] || now[1] == builds[1] {
		t.Errorf("full and partial builds went from %v to %v: want no full build, partial ones", builds, now)
	}

	// Said once per cluster and kind, however long it took: no error loop.
	for _, re := range []string{
		`does not serve the kind \(CRD not installed\).* cluster=s2 kind=HTTPRoute$`,
		`serves the kind: watched.* cluster=s2 kind=HTTPRoute$`,
		`does not serve the kind \(CRD not installed\).* cluster=s1az1 kind=Gateway$`,
	} {
		if n := l.countLog(re); n != 1 {
			t.Errorf("the syncer logged %d lines matching %q, want 1", n, re)
		}
	}
	if n := l.countLog(`level=(WARN|ERROR).*(gateway|route)`); n != 0 {
		t.Errorf("%d warnings or errors about gateways or routes:\n%s", n, l.s.Log())
	}
}

// countingSite is an HTTP server that counts the requests it gets.
type countingSite struct {
	srv  *http.Server
	hits atomic.Int64
}

func startCountingSite(t *testing.T, addr string) *countingSite {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s := &countingSite{}
	s.srv = &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		fmt.Fprintln(w, "site", addr)
	})}
	go func() { _ = s.srv.Serve(ln) }()
	t.Cleanup(func() { _ = s.srv.Close() })
	return s
}

// TestKubeRouteAndPublicAddress: an OpenShift Route publishes hello in
// s1az2 (the Route CRD installed live, the router's address annotated) and
// serves as its member; s2's load balancer answered as a public (TEST-NET)
// address while the probes still hit the demo site at 127.0.0.13 (counted
// there); an invalid value is named in the policy's status while the rest
// serves; the site stopped, the member leaves.
func TestKubeRouteAndPublicAddress(t *testing.T) {
	l := startLab(t, "&metrics=127.0.0.1:0")
	ctx := l.ctx
	sites := startSites(t)
	l.patchPolicy(t, kubescenario.GDPName, fmt.Sprintf(`{"spec":{"healthCheck":{"type":"HTTP","port":%d,"path":"/","interval":"1s","timeout":"800ms","rise":2,"fall":3}}}`, sites.port))
	l.waitProbedUp(t, 3)
	l.expectSplit(t, [3]int32{6, 4, 2})

	t.Run("Route in s1az2", func(t *testing.T) {
		s1az2 := l.env.Cluster("s1az2")
		must(t, kubescenario.InstallRouteCRD(ctx, s1az2.Config(), harness.RepoRoot(t)))
		waitMetric(t, l.s.Process, `gslb_syncer_kube_kind_watched{cluster="s1az2",kind="Route"}`, "1")
		unpublish(t, ctx, l.cs["s1az2"])
		l.waitSet(t, hello, dns.TypeA, 12, "127.0.0.11,127.0.0.13")
		dyn, err := dynamic.NewForConfig(s1az2.Config())
		must(t, err)
		must(t, kubescenario.Route(ctx, dyn, kubescenario.AppNS, "hello", map[string]string{"app": "gslb"},
			map[string]string{v1alpha1.AnnotationPublicAddresses: kubescenario.LBAddress["s1az2"]},
			kubescenario.Hello, "hello", "router-default.apps.s1az2.example.net"))
		l.expectSplit(t, [3]int32{6, 4, 2})
	})

	t.Run("public address answered, load balancer probed", func(t *testing.T) {
		sites.stop("127.0.0.13")
		site := startCountingSite(t, fmt.Sprintf("127.0.0.13:%d", sites.port))
		annotatePublic(t, ctx, l.cs["s2"], "203.0.113.5, not-an-ip")
		l.waitSet(t, hello, dns.TypeA, 12, "127.0.0.11,127.0.0.12,203.0.113.5")
		before := site.hits.Load()
		harness.Eventually(t, wait, func() error {
			if n := site.hits.Load() - before; n < 3 {
				return fmt.Errorf("%d probes at the site since the public address is answered, want 3", n)
			}
			return nil
		})
		if body := metricsBody(t, l); strings.Contains(body, "203.0.113.5") {
			t.Errorf("the public address is probed:\n%s", body)
		}
		harness.Eventually(t, wait, func() error {
			c := cond(l.policy(t, kubescenario.GDPName), v1alpha1.ConditionObjectsValid)
			want := `s2: Ingress default/hello: annotation gslb.gslbdns.io/public-addresses: "not-an-ip" is not an IP address`
			if c.Status != "False" || c.Reason != v1alpha1.ReasonInvalidValues || !strings.Contains(c.Message, want) {
				return fmt.Errorf("condition %+v, want False naming %s", c, want)
			}
			return nil
		})
		_ = site.srv.Close()
		l.waitSet(t, hello, dns.TypeA, 12, "127.0.0.11,127.0.0.12")
		l.waitUnhealthy(t, hello, "203.0.113.5", "refused")
	})
}

// metricsBody is the syncer's metrics page.
func metricsBody(t *testing.T, l *lab) string {
	t.Helper()
	m := regexp.MustCompile(`msg="serving metrics" url=(\S+)`).FindStringSubmatch(l.s.Log())
	if m == nil {
		t.Fatalf("no metrics address logged:\n%s", l.s.Log())
	}
	_, body, err := harness.HTTPGet(m[1])
	if err != nil {
		t.Fatal(err)
	}
	return body
}
