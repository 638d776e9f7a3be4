package cluster_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gslbdns/gslb/test/e2e/harness"
	"github.com/gslbdns/gslb/test/internal/gotool"
	"github.com/gslbdns/gslb/test/kubescenario"

	"github.com/miekg/dns"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
)

// The release the tests install, as deploy/README.md shows it.
const (
	releaseNS = "gslb"
	release   = "gslb"
	dsName    = "gslb" // the chart's fullname for release gslb
)

// Helm, built like test/deploy builds it.
const (
	helmModule  = "helm.sh/helm/v3/cmd/helm"
	helmVersion = "v3.22.0"
)

var installOnce, scenarioOnce struct {
	sync.Once
	err error
}

// installChart sets up the scenario (setupScenario) and `helm install`s the
// chart once for the package; every test that needs the release calls it.
func installChart(t *testing.T) {
	t.Helper()
	helm := helmBin(t)
	setupScenario(t)
	installOnce.Do(func() { installOnce.err = doInstall(t, helm) })
	if installOnce.err != nil {
		t.Fatalf("installing the chart: %v", installOnce.err)
	}
}

// setupScenario, once for the package: the scenario's members, the
// namespace gslb and the members Secret in it, as deploy/README.md (section
// 3) has the user create them before installing.
func setupScenario(t *testing.T) {
	t.Helper()
	scenarioOnce.Do(func() { scenarioOnce.err = doSetup(t) })
	if scenarioOnce.err != nil {
		t.Fatalf("setting up the scenario: %v", scenarioOnce.err)
	}
}

func doSetup(t *testing.T) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	members := map[string]*rest.Config{}
	for _, m := range kubescenario.Members {
		cfg, err := env.memberConfig(m)
		if err != nil {
			return err
		}
		members[m] = cfg
	}
	// The members get the hello Service and Ingress (app: gslb) and the
	// member role for gslb-member, the token of the members Secret. The
	// policy that kubescenario writes goes to s1az1, where no syncer reads
	// it: the policy in this cluster (the chart's own global-gdp, 6:4:2, or
	// the kustomize test's) is the one used.
	if err := kubescenario.Install(ctx, env.root, "gslb-member", members["s1az1"], members); err != nil {
		return fmt.Errorf("the scenario's members: %v", err)
	}
	env.kubectl(t, "create", "namespace", releaseNS)
	kc := filepath.Join(env.dir, "gslb-members.kubeconfig")
	if err := os.WriteFile(kc, []byte(membersKubeconfig(t, kubescenario.Members...)), 0o600); err != nil {
		return err
	}
	env.kubectl(t, "-n", releaseNS, "create", "secret", "generic", "gslb-members", "--from-file=kubeconfig="+kc)
	return nil
}

func doInstall(t *testing.T, helm string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	start := time.Now()
	out, err := runHelm(helm, "install", release, filepath.Join(env.root, "deploy", "helm", "gslb"),
		"--namespace", releaseNS, "--set", "service.type=NodePort", "--set", fmt.Sprintf("service.nodePort=%d", nodePort),
		"--set", fmt.Sprintf("service.externalIPs={%s}", strings.Join(nodeAddrs, ",")), "--set", "gdpConfig.ttl=1")
	if err != nil {
		return fmt.Errorf("helm install: %v\n%s", err, out)
	}
	return waitServing(ctx, t, "helm install", dsName, serviceAddrs(), start)
}

// waitServing waits until the DaemonSet ds has its two Pods Running and
// Ready, then until every addr answers; what names the step in the log.
func waitServing(ctx context.Context, t *testing.T, what, ds string, addrs []string, start time.Time) error {
	t.Helper()
	if err := waitDaemonSetReady(ctx, ds, 2); err != nil {
		return fmt.Errorf("%v\n%s", err, env.describePods())
	}
	t.Logf("%s: 2 Pods Running and Ready %v after it", what, time.Since(start).Round(time.Second))
	// Ready Pods reach the Service once kube-proxy has written their rules.
	for _, addr := range addrs {
		if err := harness.Within(time.Minute, func() error { return answers(addr) }); err != nil {
			return fmt.Errorf("the Service at %s: %v", addr, err)
		}
	}
	t.Logf("%s: every node answers through the Service %v after it", what, time.Since(start).Round(time.Second))
	return nil
}

// serviceAddrs are the chart Service's addresses: each node's NodePort and
// port 53 of each node's address (externalIPs).
func serviceAddrs() []string {
	var addrs []string
	for _, node := range nodeAddrs {
		addrs = append(addrs, fmt.Sprintf("%s:%d", node, nodePort), node+":53")
	}
	return addrs
}

// answers asks addr for hello once and wants one A record.
func answers(addr string) error {
	r, err := harness.Exchange(addr, "udp", kubescenario.Hello, dns.TypeA)
	if err != nil {
		return err
	}
	_, _, err = harness.OneA(r)
	return err
}

func helmBin(t *testing.T) string { return gotool.Bin(t, "helm", helmModule, helmVersion) }

func runHelm(helm string, args ...string) (string, error) {
	return runCmd(helm, append(args, "--kubeconfig", filepath.Join(env.dir, "admin.kubeconfig"))...)
}

// membersKubeconfig is the multi-context kubeconfig of the members Secret:
// one context per member, with the gslb-member token (read-only role).
func membersKubeconfig(t *testing.T, names ...string) string {
	token, err := os.ReadFile(filepath.Join(env.dir, "member.token"))
	if err != nil {
		t.Fatal(err)
	}
	ca, err := os.ReadFile(filepath.Join(env.dir, "pki", "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	port := map[string]int{"s1az1": 6444, "s1az2": 6445, "s2": 6446}
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: Config\nusers:\n- name: gslb-member\n  user:\n    token: " + strings.TrimSpace(string(token)) + "\nclusters:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "- name: %s\n  cluster:\n    server: https://10.88.0.1:%d\n    certificate-authority-data: %s\n", n, port[n], b64(ca))
	}
	b.WriteString("contexts:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "- name: %s\n  context: {cluster: %s, user: gslb-member}\n", n, n)
	}
	fmt.Fprintf(&b, "current-context: %s\n", names[0])
	return b.String()
}

// TestChartServesTheScenario: `helm install` with the images imported into
// the nodes gives two Running and Ready Pods (their real probes), and each
// node's address answers the scenario exactly through the Service's
// NodePort: 6:4:2 over 1,200 queries, NODATA for AAAA, NXDOMAIN with the SOA;
// `gslbctl table` works through `kubectl exec`.
func TestChartServesTheScenario(t *testing.T) {
	installChart(t)
	for _, addr := range serviceAddrs() {
		t.Run(addr, func(t *testing.T) { checkScenario(t, addr) })
	}
	t.Run("gslbctl", func(t *testing.T) {
		pod := env.dnsPods(t)[0]
		out := env.kubectl(t, "-n", releaseNS, "exec", pod, "-c", "gslb-syncer", "--",
			"/gslbctl", "table", "--server", "unix:///run/gslb/gslb.sock")
		for _, s := range []string{kubescenario.Hello, kubescenario.LBAddress["s1az1"], kubescenario.LBAddress["s2"]} {
			if !strings.Contains(out, s) {
				t.Errorf("gslbctl table through kubectl exec: no %q in\n%s", s, out)
			}
		}
	})
}

// checkScenario asks addr for hello 1,200 times and wants 600:400:200
// (6:4:2) exactly, then the negative answers (checkNegative).
func checkScenario(t *testing.T, addr string) {
	t.Helper()
	want := map[string]int{}
	for m, w := range map[string]int{"s1az1": 600, "s1az2": 400, "s2": 200} {
		want[kubescenario.LBAddress[m]] = w
	}
	c := harness.Dial(t, addr, "udp")
	got := map[string]int{}
	for range 1200 {
		ip, _, err := harness.OneA(c.Query(t, kubescenario.Hello, dns.TypeA))
		if err != nil {
			t.Fatal(err)
		}
		got[ip.String()]++
	}
	t.Logf("%s: 1200 queries: %v", addr, got)
	for ip, n := range want {
		if got[ip] != n {
			t.Errorf("%s: %s answered %d times of 1200, want %d (6:4:2): %v", addr, ip, got[ip], n, got)
		}
	}
	checkNegative(t, c)
}

// checkNegative: AAAA of the GSLB name is NODATA (NOERROR, no answer, the
// SOA), an unknown name NXDOMAIN with the SOA.
func checkNegative(t *testing.T, c *harness.Client) {
	r := c.Query(t, kubescenario.Hello, dns.TypeAAAA)
	if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 0 || !hasSOA(r) || !r.Authoritative {
		t.Errorf("AAAA %s: %s, want NOERROR aa, no answer, the SOA", kubescenario.Hello, harness.Brief(r))
	}
	r = c.Query(t, "nope."+kubescenario.Zone, dns.TypeA)
	if r.Rcode != dns.RcodeNameError || !hasSOA(r) || !r.Authoritative {
		t.Errorf("A nope.%s: %s, want NXDOMAIN aa with the SOA", kubescenario.Zone, harness.Brief(r))
	}
}

func hasSOA(r *dns.Msg) bool {
	for _, rr := range r.Ns {
		if _, ok := rr.(*dns.SOA); ok {
			return true
		}
	}
	return false
}

// waitDaemonSetReady polls the DaemonSet name (namespace gslb) until n Pods
// are scheduled, updated, available and ready.
func waitDaemonSetReady(ctx context.Context, name string, n int32) error {
	var last string
	for {
		ds, err := env.cs.AppsV1().DaemonSets(releaseNS).Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			s := ds.Status
			last = fmt.Sprintf("desired %d, ready %d, updated %d, available %d (generation %d observed %d)",
				s.DesiredNumberScheduled, s.NumberReady, s.UpdatedNumberScheduled, s.NumberAvailable, ds.Generation, s.ObservedGeneration)
			if s.ObservedGeneration == ds.Generation && s.DesiredNumberScheduled == n && s.NumberReady == n &&
				s.UpdatedNumberScheduled == n && s.NumberAvailable == n && s.NumberUnavailable == 0 {
				return nil
			}
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("DaemonSet %s/%s not ready: %s", releaseNS, name, last)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// dnsPods are the names of the DaemonSet's Pods.
func (e *clusterEnv) dnsPods(t *testing.T) []string {
	out := e.kubectl(t, "-n", releaseNS, "get", "pods", "-l", "app.kubernetes.io/instance="+release, "-o", "name")
	var pods []string
	for _, l := range strings.Fields(out) {
		pods = append(pods, strings.TrimPrefix(l, "pod/"))
	}
	if len(pods) == 0 {
		t.Fatalf("no Pods of release %s", release)
	}
	return pods
}

// describePods is `kubectl describe pods` of the release, for failures.
func (e *clusterEnv) describePods() string {
	out, _ := e.kubectlErr("-n", releaseNS, "describe", "pods")
	return out
}
