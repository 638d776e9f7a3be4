package kube

import (
	"context"
	"fmt"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/gslbctl"
	"github.com/gslbdns/gslb/test/e2e/harness"
	"github.com/gslbdns/gslb/test/k8senv"
	"github.com/gslbdns/gslb/test/kubescenario"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// The addresses `make lab` serves on (test/tools/kubelab): coredns-gslb's
// DNS and the syncer's metrics.
const (
	labDNS     = "127.0.0.1:1053"
	labMetrics = "http://127.0.0.1:9154/metrics"
)

// TestKubeLab runs `make lab` as a user does: kubelab (built from
// test/tools/kubelab) up in a temporary directory with the binaries of
// bin/, then its commands. hello in s2 is published by a Gateway (status
// address 127.0.0.13) and an HTTPRoute labelled app: gslb, and by nothing
// else there (no LoadBalancer Service, no Ingress), beside s1az1's and
// s1az2's Services and Ingresses: the 6:4:2 split is exact; `route s2
// detach` → s2 leaves, `attach` → back; `endpoints s2 0` (the route's
// backend) → s2 leaves, named in the policy's status; 3 → back.
//
// The lab runs in a private network namespace, on its fixed addresses
// there, so the test passes beside a user's `make lab`: it holds the lab's
// DNS and metrics addresses in its own namespace for its whole run, as that
// lab would.
func TestKubeLab(t *testing.T) {
	dir := t.TempDir()
	kubelab := buildKubelab(t)
	holdLabAddresses(t)
	ns := harness.NewNetNS(t)
	t.Cleanup(func() { runKubelab(t, ns, kubelab, "down", "-dir", dir) })
	banner := runKubelab(t, ns, kubelab, "up", "-dir", dir, "-bin", harness.BinDir(t))
	for _, want := range []string{
		"s2     http://127.0.0.13:8000/",
		"Gateway hello + HTTPRoute hello (backend: Service hello)",
		"LoadBalancer Service hello + Ingress hello",
		"kubectl --context s2 get gateway,httproute -n default",
		"route s2 detach -dir " + dir,
		"route s2 attach -dir " + dir,
	} {
		if !strings.Contains(banner, want) {
			t.Errorf("kubelab up's banner lacks %q:\n%s", want, banner)
		}
	}
	l, cfgs := labOf(t, ns, dir)
	checkOnlyRoutePublishes(t, l, cfgs["s2"])
	// A member's first probe results change the table, which restarts the
	// WRR schedule that expectSplit counts: wait for them first.
	api := harness.TableClient(t, filepath.Join(dir, "gslb.sock"))
	probedUp := func(t *testing.T) {
		t.Helper()
		waitMembersUp(t, func() []*gslbv1.Record {
			_, recs, err := gslbctl.Dump(l.ctx, api)
			must(t, err)
			return recs
		}, 3)
	}
	probedUp(t)
	series := `gslb_syncer_kube_kind_watched{cluster="s2",kind="HTTPRoute"}`
	harness.Eventually(t, wait, func() error {
		if v := nsSeriesAt(t, ns, labMetrics, series); v != "1" {
			return fmt.Errorf("%s = %q, want 1", series, v)
		}
		return nil
	})
	l.expectSplit(t, [3]int32{6, 4, 2})

	t.Run("route detached leaves, attached returns", func(t *testing.T) {
		runKubelab(t, ns, kubelab, "route", "s2", "detach", "-dir", dir)
		l.waitSet(t, hello, dns.TypeA, 12, "127.0.0.11,127.0.0.12")
		runKubelab(t, ns, kubelab, "route", "s2", "attach", "-dir", dir)
		probedUp(t)
		l.expectSplit(t, [3]int32{6, 4, 2})
	})
	t.Run("endpoints s2 0 leaves, 3 returns", func(t *testing.T) {
		runKubelab(t, ns, kubelab, "endpoints", "s2", "0", "-dir", dir)
		l.waitSet(t, hello, dns.TypeA, 12, "127.0.0.11,127.0.0.12")
		l.waitUnhealthy(t, hello, "127.0.0.13", "0/0 endpoints ready in service "+kubescenario.AppNS+"/hello")
		runKubelab(t, ns, kubelab, "endpoints", "s2", "3", "-dir", dir)
		probedUp(t)
		l.expectSplit(t, [3]int32{6, 4, 2})
		l.waitUnhealthy(t, hello, "127.0.0.13", "")
	})
	harness.Eventually(t, wait, func() error {
		st := l.policy(t, kubescenario.GDPName).Status.Clusters
		for _, c := range st {
			if c.State != "Synced" || c.Members != 1 || c.Healthy != 1 {
				return fmt.Errorf("policy status of cluster %s: %+v, want Synced with 1 healthy member", c.Cluster, c)
			}
		}
		if len(st) != len(kubescenario.Members) {
			return fmt.Errorf("policy status of %d clusters, want %d: %+v", len(st), len(kubescenario.Members), st)
		}
		return nil
	})
}

// buildKubelab builds test/tools/kubelab, as `go run` in `make lab` does.
func buildKubelab(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build kubelab: %v", err)
	}
	out := filepath.Join(t.TempDir(), "kubelab")
	cmd := exec.Command(gobin, "build", "-o", out, "./test/tools/kubelab")
	cmd.Dir = harness.RepoRoot(t)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./test/tools/kubelab: %v\n%s", err, b)
	}
	return out
}

// runKubelab runs kubelab with args in the namespace (the processes it
// starts stay there) and returns its standard output; a failure fails the
// test with both outputs.
func runKubelab(t testing.TB, ns *harness.NetNS, kubelab string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, kubelab, args...)
	cmd.Dir = harness.RepoRoot(t)
	var out, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &stderr
	var err error
	ns.Do(func() { err = cmd.Start() })
	if err == nil {
		err = cmd.Wait()
	}
	if err != nil {
		t.Fatalf("kubelab %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out.String(), stderr.String())
	}
	return out.String()
}

// holdLabAddresses binds the lab's DNS (UDP and TCP) and metrics addresses
// in the test's own network namespace until the test ends, as a user's
// `make lab` does; one already taken (by such a lab) is left to it.
func holdLabAddresses(t *testing.T) {
	t.Helper()
	var held []io.Closer
	if c, err := net.ListenPacket("udp", labDNS); err == nil {
		held = append(held, c)
	}
	for _, addr := range []string{labDNS, strings.TrimSuffix(strings.TrimPrefix(labMetrics, "http://"), "/metrics")} {
		if l, err := net.Listen("tcp", addr); err == nil {
			held = append(held, l)
		}
	}
	t.Cleanup(func() {
		for _, c := range held {
			c.Close()
		}
	})
}

// nsSeriesAt is seriesAt for a metrics endpoint inside the namespace.
func nsSeriesAt(t testing.TB, ns *harness.NetNS, url, series string) string {
	t.Helper()
	_, body, err := ns.HTTPGet(url)
	if err != nil {
		t.Fatal(err)
	}
	return seriesIn(body, series)
}

// labOf is the lab kubelab runs in dir inside the namespace, seen as the
// admin (its kubeconfig, one context per cluster) and through its DNS, with
// the admin's configs; l.env, l.c and l.s are nil.
func labOf(t *testing.T, ns *harness.NetNS, dir string) (*lab, map[string]*rest.Config) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	t.Cleanup(cancel)
	l := &lab{ctx: ctx, cs: map[string]kubernetes.Interface{}, t: t, dns: ns.Dial(t, labDNS, "udp")}
	cfgs := map[string]*rest.Config{}
	for _, n := range kubescenario.Members {
		cfg, err := k8senv.LabConfig(dir, k8senv.Admin, n)
		must(t, err)
		cfg.Dial = func(ctx context.Context, network, addr string) (c net.Conn, err error) {
			ns.Do(func() { c, err = (&net.Dialer{}).DialContext(ctx, network, addr) })
			return c, err
		}
		cfgs[n] = cfg
		l.cs[n], err = kubernetes.NewForConfig(cfg)
		must(t, err)
		if n == "s1az1" { // the config cluster
			l.dyn, err = dynamic.NewForConfig(cfg)
			must(t, err)
		}
	}
	return l, cfgs
}

// checkOnlyRoutePublishes checks that in s2 nothing but the HTTPRoute can
// publish hello: no LoadBalancer Service, no Service or Ingress labelled
// app: gslb (hello is a ClusterIP Service, the route's backend), and the
// HTTPRoute hello is labelled app: gslb: s2's member can come from the
// route only.
func checkOnlyRoutePublishes(t *testing.T, l *lab, s2 *rest.Config) {
	t.Helper()
	svcs, err := l.cs["s2"].CoreV1().Services(metav1.NamespaceAll).List(l.ctx, metav1.ListOptions{})
	must(t, err)
	for _, s := range svcs.Items {
		if s.Spec.Type == corev1.ServiceTypeLoadBalancer || s.Labels["app"] == "gslb" {
			t.Errorf("s2: Service %s/%s (%s, labels %v) could publish hello", s.Namespace, s.Name, s.Spec.Type, s.Labels)
		}
	}
	ins, err := l.cs["s2"].NetworkingV1().Ingresses(metav1.NamespaceAll).List(l.ctx, metav1.ListOptions{})
	must(t, err)
	if len(ins.Items) != 0 {
		t.Errorf("s2: %d Ingresses, want none", len(ins.Items))
	}
	dyn, err := dynamic.NewForConfig(s2)
	must(t, err)
	r, err := dyn.Resource(kubescenario.HTTPRoutes).Namespace(kubescenario.AppNS).Get(l.ctx, "hello", metav1.GetOptions{})
	must(t, err)
	if r.GetLabels()["app"] != "gslb" {
		t.Errorf("s2: HTTPRoute hello labels %v, want app: gslb", r.GetLabels())
	}
}
