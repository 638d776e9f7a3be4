package kube

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"
	"github.com/gslbdns/gslb/test/e2e/harness"
	"github.com/gslbdns/gslb/test/kubescenario"

	"github.com/miekg/dns"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// hasUnhealthy waits until the policy's status lists target of fqdn as
// down with a reason containing reason, or (reason "") lists it no more.
func (l *lab) waitUnhealthy(t testing.TB, fqdn, target, reason string) {
	t.Helper()
	harness.Eventually(t, wait, func() error {
		p := l.policy(t, kubescenario.GDPName)
		var found *v1alpha1.MemberHealth
		for i, m := range p.Status.UnhealthyMembers {
			if m.FQDN == fqdn && m.Target == target {
				found = &p.Status.UnhealthyMembers[i]
			}
		}
		switch {
		case reason == "" && found != nil:
			return fmt.Errorf("status still lists %s %s down: %+v", fqdn, target, *found)
		case reason != "" && (found == nil || found.Health != "Down" || !strings.Contains(found.Reason, reason)):
			return fmt.Errorf("status unhealthy members %+v, want %s %s down with %q", p.Status.UnhealthyMembers, fqdn, target, reason)
		}
		return nil
	})
}

// TestKubeEndpointReadiness: members leave the answers when the
// EndpointSlices of their Services have no ready endpoint, and come back;
// endpointReadiness All (default) and Any for an Ingress with two backends.
func TestKubeEndpointReadiness(t *testing.T) {
	l := startLab(t, "")
	ctx := l.ctx
	all3 := "127.0.0.11,127.0.0.12,127.0.0.13"
	l.waitSet(t, hello, dns.TypeA, 12, all3)

	t.Run("LB Service and Ingress of s2 at 0 ready: s2 leaves, then returns", func(t *testing.T) {
		// hello's Service and Ingress in s2 share 127.0.0.13 and the
		// Service hello: its slice at 0/3 ready takes the member down.
		must(t, kubescenario.SetReady(ctx, l.cs["s2"], kubescenario.AppNS, "hello", 0, 3))
		l.waitSet(t, hello, dns.TypeA, 12, "127.0.0.11,127.0.0.12")
		l.waitUnhealthy(t, hello, "127.0.0.13", "0/3 endpoints ready in service "+kubescenario.AppNS+"/hello")
		must(t, kubescenario.SetReady(ctx, l.cs["s2"], kubescenario.AppNS, "hello", 1, 2))
		l.waitSet(t, hello, dns.TypeA, 12, all3)
		l.waitUnhealthy(t, hello, "127.0.0.13", "")
	})

	t.Run("no EndpointSlice at all: not ready", func(t *testing.T) {
		must(t, kubescenario.DeleteEndpointSlice(ctx, l.cs["s1az2"], kubescenario.AppNS, "hello"))
		l.waitSet(t, hello, dns.TypeA, 12, "127.0.0.11,127.0.0.13")
		l.waitUnhealthy(t, hello, "127.0.0.12", "no EndpointSlice")
		must(t, kubescenario.EndpointSlice(ctx, l.cs["s1az2"], kubescenario.AppNS, "hello", 3, 0))
		l.waitSet(t, hello, dns.TypeA, 12, all3)
	})

	t.Run("two backends: All needs both, Any one", func(t *testing.T) {
		const two = "two.avi.iberia.local."
		pt := networkingv1.PathTypePrefix
		path := func(p, svc string) networkingv1.HTTPIngressPath {
			return networkingv1.HTTPIngressPath{Path: p, PathType: &pt, Backend: networkingv1.IngressBackend{
				Service: &networkingv1.IngressServiceBackend{Name: svc, Port: networkingv1.ServiceBackendPort{Number: 80}}}}
		}
		in := &networkingv1.Ingress{
			ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "two", Labels: gslbApp("two")},
			Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{Host: strings.TrimSuffix(two, "."),
				IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
					Paths: []networkingv1.HTTPIngressPath{path("/", "web"), path("/api", "api")}}}}}},
		}
		must(t, kubescenario.EndpointSlice(ctx, l.cs["s1az1"], "default", "web", 2, 0))
		must(t, kubescenario.EndpointSlice(ctx, l.cs["s1az1"], "default", "api", 1, 0))
		created, err := l.cs["s1az1"].NetworkingV1().Ingresses("default").Create(ctx, in, metav1.CreateOptions{})
		must(t, err)
		created.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{{IP: "127.0.0.111"}}
		_, err = l.cs["s1az1"].NetworkingV1().Ingresses("default").UpdateStatus(ctx, created, metav1.UpdateOptions{})
		must(t, err)
		must(t, kubescenario.Ingress(ctx, l.cs["s2"], "default", "two", gslbApp("two"), strings.TrimSuffix(two, "."), "127.0.0.113"))
		p := kubescenario.Policy("two", 2, [3]int32{1, 1, 1})
		p.Spec.MatchRules.AppSelector.MatchLabels = gslbApp("two")
		must(t, kubescenario.Apply(ctx, l.dyn, p))
		l.waitSet(t, two, dns.TypeA, 4, "127.0.0.111,127.0.0.113")

		must(t, kubescenario.SetReady(ctx, l.cs["s1az1"], "default", "api", 0, 1))
		l.waitSet(t, two, dns.TypeA, 4, "127.0.0.113") // All: the /api path is down
		l.patchPolicy(t, "two", `{"spec":{"endpointReadiness":"Any"}}`)
		l.waitSet(t, two, dns.TypeA, 4, "127.0.0.111,127.0.0.113") // Any: / still serves
		must(t, kubescenario.SetReady(ctx, l.cs["s1az1"], "default", "web", 0, 2))
		l.waitSet(t, two, dns.TypeA, 4, "127.0.0.113") // Any: none left
		must(t, kubescenario.SetReady(ctx, l.cs["s1az1"], "default", "web", 2, 0))
		l.waitSet(t, two, dns.TypeA, 4, "127.0.0.111,127.0.0.113")
	})
}

// siteServers are HTTP servers on hello's three member addresses, one port.
type siteServers struct {
	port int
	srv  map[string]*http.Server

	mu   sync.Mutex
	hits map[string]int // requests served, by address
}

// requests returns how many requests the site at addr has served.
func (s *siteServers) requests(addr string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[addr]
}

func startSites(t testing.TB) *siteServers {
	t.Helper()
	for range 20 {
		ln, err := net.Listen("tcp", "127.0.0.11:0")
		if err != nil {
			t.Fatal(err)
		}
		s := &siteServers{port: ln.Addr().(*net.TCPAddr).Port, srv: map[string]*http.Server{}, hits: map[string]int{}}
		s.serve("127.0.0.11", ln)
		ok := true
		for _, a := range []string{"127.0.0.12", "127.0.0.13"} {
			if err := s.start(a); err != nil {
				ok = false
				break
			}
		}
		if ok {
			t.Cleanup(s.stopAll)
			return s
		}
		s.stopAll()
	}
	t.Fatal("no port free on 127.0.0.11-13")
	return nil
}

func (s *siteServers) serve(addr string, ln net.Listener) {
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[addr]++
		s.mu.Unlock()
		fmt.Fprintf(w, "site %s\n", addr)
	})}
	s.srv[addr] = srv
	go func() { _ = srv.Serve(ln) }()
}

func (s *siteServers) start(addr string) error {
	ln, err := net.Listen("tcp", fmt.Sprintf("%s:%d", addr, s.port))
	if err != nil {
		return err
	}
	s.serve(addr, ln)
	return nil
}

func (s *siteServers) stop(addr string) {
	if srv := s.srv[addr]; srv != nil {
		_ = srv.Close()
		delete(s.srv, addr)
	}
}

// builds returns the syncer's counts of full and partial builds.
func (l *lab) builds(t *testing.T) [2]string {
	t.Helper()
	return [2]string{metricValue(t, l.s.Process, "gslb_syncer_kube_builds_total"), metricValue(t, l.s.Process, "gslb_syncer_kube_partial_builds_total")}
}

func (s *siteServers) stopAll() {
	for a := range s.srv {
		s.stop(a)
	}
}

// TestKubeHealthCheck: the policy's healthCheck probes every member; a
// stopped site leaves the answers with its reason in the status, and comes
// back, with no build of the table for either status (the status writer
// runs none: the health comes from the published table); a GSLBHostRule
// with type None turns probing off for its FQDN.
func TestKubeHealthCheck(t *testing.T) {
	l := startLab(t, "&metrics=127.0.0.1:0")
	sites := startSites(t)
	all3 := "127.0.0.11,127.0.0.12,127.0.0.13"
	l.waitSet(t, hello, dns.TypeA, 12, all3)
	// The timeout is far above what a loopback GET needs even on a busy
	// machine: "the probes pass" below must not depend on its speed (a 100 ms
	// timeout could fail three probes in a row under load). A stopped site is
	// refused at once, so the timeout does not slow the test.
	l.patchPolicy(t, kubescenario.GDPName, fmt.Sprintf(`{"spec":{"healthCheck":{"type":"HTTP","port":%d,"path":"/","interval":"1s","timeout":"800ms","rise":2,"fall":3}}}`, sites.port))

	// The probes pass: hello keeps its three members and its exact split.
	l.waitProbedUp(t, 3)
	l.expectSplit(t, [3]int32{6, 4, 2})
	// A change of hello's Ingress rebuilds hello alone (a partial build):
	// the status must come from it too, not from a full build of its own.
	partial := l.builds(t)[1]
	_, err := l.cs["s2"].NetworkingV1().Ingresses("default").Patch(l.ctx, "hello", types.MergePatchType,
		[]byte(`{"metadata":{"annotations":{"example.com/touched":"1"}}}`), metav1.PatchOptions{})
	must(t, err)
	harness.Eventually(t, wait, func() error {
		if l.builds(t)[1] == partial {
			return fmt.Errorf("no partial build after hello's Ingress changed")
		}
		return nil
	})
	l.settled(t)
	builds := l.builds(t)

	sites.stop("127.0.0.13")
	l.waitSet(t, hello, dns.TypeA, 12, "127.0.0.11,127.0.0.12")
	l.waitUnhealthy(t, hello, "127.0.0.13", "refused")

	if err := sites.start("127.0.0.13"); err != nil {
		t.Fatal(err)
	}
	l.waitSet(t, hello, dns.TypeA, 12, all3)
	l.waitUnhealthy(t, hello, "127.0.0.13", "")
	if after := l.builds(t); after != builds {
		t.Errorf("builds (full, partial) %v before a site's down/up cycle, %v after, with two status writes: want none", builds, after)
	}

	// Per-FQDN override: type None stops probing hello; a stopped site is
	// then served again.
	sites.stop("127.0.0.12")
	l.waitSet(t, hello, dns.TypeA, 12, "127.0.0.11,127.0.0.13")
	hr := &v1alpha1.GSLBHostRule{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.SchemeGroupVersion.String(), Kind: "GSLBHostRule"},
		ObjectMeta: metav1.ObjectMeta{Namespace: kubescenario.PolicyNS, Name: "hello-noprobe"},
		Spec:       v1alpha1.GSLBHostRuleSpec{FQDN: strings.TrimSuffix(hello, "."), HealthCheck: &v1alpha1.HealthCheck{Type: v1alpha1.HealthCheckNone}},
	}
	must(t, kubescenario.Apply(l.ctx, l.dyn, hr))
	l.waitSet(t, hello, dns.TypeA, 12, all3)

	// The schema refuses a timeout not shorter than the interval.
	bad := kubescenario.Policy("badcheck", 2, [3]int32{1, 1, 1})
	bad.Spec.HealthCheck = &v1alpha1.HealthCheck{Interval: &metav1.Duration{Duration: time.Second}, Timeout: &metav1.Duration{Duration: 2 * time.Second}}
	err = kubescenario.Apply(l.ctx, l.dyn, bad)
	if err == nil || !strings.Contains(err.Error(), "timeout must be shorter than interval") {
		t.Errorf("policy with timeout >= interval: %v, want refused by the schema", err)
	}
}
