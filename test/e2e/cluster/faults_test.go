package cluster_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gslbdns/gslb/test/e2e/harness"
	"github.com/gslbdns/gslb/test/kubescenario"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// bindAddr is the company DNS of the scenario, in the hub: authoritative for
// iberia.local, delegating avi.iberia.local to both nodes (port 53 of their
// addresses, the Service's externalIPs), recursive for the test.
const bindAddr = "10.88.0.1"

// The two rolling updates TestFaults compares: the chart's earlier default
// and its surge update.
const (
	phaseUpgradeOld   = "helm upgrade maxUnavailable:1"
	phaseUpgradeSurge = "helm upgrade maxSurge:1"
)

// TestFaults runs the faults a cluster brings while two clients ask for
// hello without pause: one through BIND (which delegates to both nodes) and
// one straight at node1's address. Each phase's counts are printed; through
// BIND no query may fail.
func TestFaults(t *testing.T) {
	installChart(t)
	startBIND(t)
	viaBIND, direct := newLoad("via BIND"), newLoad("node1 10.88.0.11:53")
	bc := harness.Dial(t, bindAddr+":53", "udp")
	bc.Recursive = true
	startLoads(t, map[*load]*harness.Client{viaBIND: bc, direct: harness.Dial(t, nodeAddrs[0]+":53", "udp")})
	loads := []*load{viaBIND, direct}
	phase := func(name string, fn func(t *testing.T)) {
		for _, l := range loads {
			l.phase(name)
		}
		start := time.Now()
		t.Run(name, fn)
		t.Logf("phase %q took %v", name, time.Since(start).Round(100*time.Millisecond))
	}
	defer func() { t.Logf("queries per phase:\n%s", report(loads...)) }()

	phase("steady", func(t *testing.T) { // a baseline: 100 queries each
		harness.Eventually(t, time.Minute, func() error {
			for _, l := range loads {
				if ok, failed, _ := l.get("steady"); ok+failed < 100 {
					return fmt.Errorf("%s: %d queries so far", l.name, ok+failed)
				}
			}
			return nil
		})
	})
	phase("delete pod node1", deletePod)
	phase(phaseUpgradeOld, func(t *testing.T) { upgrade(t, "1", "0") })
	phase(phaseUpgradeSurge, func(t *testing.T) { upgrade(t, "0", "1") })
	phase("drain node1 + evictions", drainAndEvict)
	phase("SIGSTOP coredns-gslb node1", freeze)
	phase("members Secret updated", membersSecret)

	// The chart's surge update must lose fewer queries at a node's address
	// than the update it replaced (maxUnavailable: 1, measured: 6-8 against 1).
	_, oldFailed, _ := direct.get(phaseUpgradeOld)
	_, surgeFailed, _ := direct.get(phaseUpgradeSurge)
	if surgeFailed >= oldFailed {
		t.Errorf("at node1: %d queries failed during the surge update, %d with maxUnavailable: 1: the surge should lose fewer", surgeFailed, oldFailed)
	}
	for _, p := range viaBIND.phases {
		if ok, failed, last := viaBIND.get(p); failed != 0 || ok == 0 {
			t.Errorf("phase %q: through BIND %d ok, %d failed (last: %s): want none failed", p, ok, failed, last)
		}
	}
}

// startBIND starts named in the hub with the delegation to both nodes.
func startBIND(t *testing.T) {
	named, _ := harness.EnsureBIND(t)
	dir := t.TempDir()
	options := harness.NamedOptions(dir, bindAddr, "recursion yes;", "allow-recursion { any; };", "allow-query { any; };",
		"dnssec-validation no;", "qname-minimization off;", "max-cache-ttl 1;", "max-ncache-ttl 1;")
	harness.WriteFile(t, filepath.Join(dir, "named.conf"), options+`zone "iberia.local" { type primary; file "db.iberia.local"; };
`)
	harness.WriteFile(t, filepath.Join(dir, "db.iberia.local"), fmt.Sprintf(`$TTL 300
@       IN SOA  dc1.iberia.local. hostmaster.iberia.local. 1 3600 600 86400 60
@       IN NS   dc1.iberia.local.
dc1     IN A    %s
g-dns1  IN A    %s
g-dns2  IN A    %s
avi     IN NS   g-dns1.iberia.local.
avi     IN NS   g-dns2.iberia.local.
`, bindAddr, nodeAddrs[0], nodeAddrs[1]))
	p := harness.StartNamed(t, nil, named, "named", dir, filepath.Join(dir, "named.conf"))
	harness.WaitAuthoritative(t, nil, p, bindAddr+":53", "iberia.local")
	c := harness.Dial(t, bindAddr+":53", "udp")
	c.Recursive = true
	harness.Eventually(t, 30*time.Second, func() error {
		r, err := c.Exchange(kubescenario.Hello, dns.TypeA)
		if err != nil {
			return err
		}
		if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
			return fmt.Errorf("hello through BIND: %s", harness.Brief(r))
		}
		return nil
	})
}

// podOn returns the DaemonSet's live Pod on node; a failure fails t.
func podOn(t *testing.T, node string) *corev1.Pod {
	t.Helper()
	p, err := findPod(node)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// findPod returns the DaemonSet's live (not terminating) Pod on node.
func findPod(node string) (*corev1.Pod, error) {
	pods, err := env.cs.CoreV1().Pods(releaseNS).List(context.Background(), metav1.ListOptions{
		LabelSelector: "app.kubernetes.io/instance=" + release, FieldSelector: "spec.nodeName=" + node,
	})
	if err != nil {
		return nil, err
	}
	for i := range pods.Items {
		if pods.Items[i].DeletionTimestamp == nil {
			return &pods.Items[i], nil
		}
	}
	return nil, fmt.Errorf("no live Pod of the DaemonSet on %s", node)
}

// waitReady waits until the DaemonSet is rolled out and each node has
// exactly one Pod, Ready, and no Pod is terminating.
func waitReady(t *testing.T, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := waitDaemonSetReady(ctx, dsName, 2); err != nil {
		t.Fatalf("%v\n%s", err, env.describePods())
	}
	harness.Eventually(t, timeout, func() error {
		pods, err := env.cs.CoreV1().Pods(releaseNS).List(context.Background(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/instance=" + release})
		if err != nil {
			return err
		}
		nodes := map[string]bool{}
		for _, p := range pods.Items {
			if p.DeletionTimestamp != nil || !podReady(&p) || nodes[p.Spec.NodeName] {
				return fmt.Errorf("Pod %s on %s: terminating, not Ready, or not alone", p.Name, p.Spec.NodeName)
			}
			nodes[p.Spec.NodeName] = true
		}
		if len(nodes) != 2 {
			return fmt.Errorf("Ready Pods on %d nodes, want 2", len(nodes))
		}
		return nil
	})
}

// deletePod: `kubectl delete pod` of node1's Pod; the DaemonSet brings it back.
func deletePod(t *testing.T) {
	old := podOn(t, "node1")
	start := time.Now()
	env.kubectl(t, "-n", releaseNS, "delete", "pod", old.Name, "--wait=false")
	waitReplaced(t, "node1", old)
	t.Logf("delete pod: a new Pod Ready on node1 after %v", time.Since(start).Round(100*time.Millisecond))
}

// waitReplaced waits until node has a new Ready Pod instead of old, and the
// DaemonSet is whole again.
func waitReplaced(t *testing.T, node string, old *corev1.Pod) {
	t.Helper()
	harness.Eventually(t, 3*time.Minute, func() error {
		p, err := findPod(node)
		if err != nil {
			return err
		}
		if p.UID == old.UID || !podReady(p) {
			return fmt.Errorf("no new Ready Pod on %s yet", node)
		}
		return nil
	})
	waitReady(t, time.Minute)
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

var rollout int

// upgrade: `helm upgrade` that changes the Pods (an annotation), with the
// given rolling update; returns when both Pods are replaced and Ready.
func upgrade(t *testing.T, maxUnavailable, maxSurge string) {
	rollout++
	start := time.Now()
	out, err := runHelm(helmBin(t), "upgrade", release, filepath.Join(env.root, "deploy", "helm", "gslb"), "--namespace", releaseNS,
		"--reuse-values", "--set", "updateStrategy.maxUnavailable="+maxUnavailable, "--set", "updateStrategy.maxSurge="+maxSurge,
		"--set-string", "podAnnotations.gslb-test/rollout="+strconv.Itoa(rollout))
	if err != nil {
		t.Fatalf("helm upgrade: %v\n%s", err, out)
	}
	// The update raised the DaemonSet's generation: waitReady waits for the
	// controller to observe it before it counts Pods.
	waitReady(t, 4*time.Minute)
	t.Logf("helm upgrade (maxUnavailable %s, maxSurge %s): both Pods replaced and Ready after %v",
		maxUnavailable, maxSurge, time.Since(start).Round(100*time.Millisecond))
}

// drainAndEvict: `kubectl drain node1` (DaemonSet Pods stay, as drain
// leaves them), then the PodDisruptionBudget: evicting one DNS Pod is
// allowed, evicting the second while the first is away is refused.
func drainAndEvict(t *testing.T) {
	env.kubectl(t, "drain", "node1", "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=60s")
	env.kubectl(t, "uncordon", "node1")
	harness.Eventually(t, time.Minute, func() error {
		pdb, err := env.cs.PolicyV1().PodDisruptionBudgets(releaseNS).Get(context.Background(), dsName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if pdb.Status.DisruptionsAllowed != 1 {
			return fmt.Errorf("PodDisruptionBudget allows %d disruptions, want 1", pdb.Status.DisruptionsAllowed)
		}
		return nil
	})
	p1, p2 := podOn(t, "node1"), podOn(t, "node2")
	if err := evict(p1); err != nil {
		t.Fatalf("evicting %s (node1): %v", p1.Name, err)
	}
	if err := evict(p2); !apierrors.IsTooManyRequests(err) {
		t.Errorf("evicting %s (node2) while node1's Pod is away: %v, want 429 Too Many Requests from the PodDisruptionBudget", p2.Name, err)
	}
	start := time.Now()
	waitReplaced(t, "node1", p1)
	t.Logf("eviction: a new Pod Ready on node1 after %v", time.Since(start).Round(100*time.Millisecond))
}

func evict(p *corev1.Pod) error {
	return env.cs.PolicyV1().Evictions(p.Namespace).Evict(context.Background(), &policyv1.Eviction{
		ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace},
	})
}

// freeze: SIGSTOP of node1's coredns-gslb process (from the node, through
// its containerd): the liveness probe restarts the container; the time until
// it is Ready again is measured.
func freeze(t *testing.T) {
	p := podOn(t, "node1")
	var id string
	var restarts int32
	for _, c := range p.Status.ContainerStatuses {
		if c.Name == "coredns-gslb" {
			id, restarts = strings.TrimPrefix(c.ContainerID, "containerd://"), c.RestartCount
		}
	}
	pid := taskPid(t, "node1", id)
	start := time.Now()
	if out, err := exec.Command("kill", "-STOP", pid).CombinedOutput(); err != nil {
		t.Fatalf("kill -STOP %s: %v %s", pid, err, out)
	}
	harness.Eventually(t, 3*time.Minute, func() error {
		p, err := findPod("node1")
		if err != nil {
			return err
		}
		for _, c := range p.Status.ContainerStatuses {
			if c.Name == "coredns-gslb" && c.RestartCount > restarts && c.Ready {
				return nil
			}
		}
		return fmt.Errorf("coredns-gslb on node1 not restarted and Ready yet")
	})
	t.Logf("SIGSTOP: coredns-gslb restarted by its liveness probe and Ready %v after the stop", time.Since(start).Round(100*time.Millisecond))
	waitReady(t, time.Minute)
}

// taskPid is the host PID of container id on node, from its containerd.
func taskPid(t *testing.T, node, id string) string {
	out, err := exec.Command("ctr", "-a", filepath.Join(env.dir, node, "containerd.sock"), "-n", "k8s.io", "task", "ls").CombinedOutput()
	if err != nil {
		t.Fatalf("ctr task ls: %v\n%s", err, out)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == id {
			return f[1]
		}
	}
	t.Fatalf("container %s not among %s's tasks:\n%s", id, node, out)
	return ""
}

// membersSecret: the members Secret applied without s2, then with it again;
// each change reaches the syncers through the kubelet's update of the
// mounted Secret, without a Pod restart.
func membersSecret(t *testing.T) {
	before := podStates(t)
	s2 := kubescenario.LBAddress["s2"]
	for _, step := range []struct {
		members []string
		s2      bool
	}{{[]string{"s1az1", "s1az2"}, false}, {kubescenario.Members, true}} {
		start := time.Now()
		applyMembers(t, step.members...)
		for _, node := range nodeAddrs {
			c := harness.Dial(t, node+":53", "udp")
			harness.Eventually(t, 3*time.Minute, func() error {
				seen := false
				for range 24 {
					r, err := c.Exchange(kubescenario.Hello, dns.TypeA)
					if err != nil {
						return err
					}
					if ip, _, err := harness.OneA(r); err == nil && ip.String() == s2 {
						seen = true
					}
				}
				if seen != step.s2 {
					return fmt.Errorf("%s: s2 (%s) answered: %v, want %v", node, s2, seen, step.s2)
				}
				return nil
			})
		}
		t.Logf("members Secret with %v: both nodes follow after %v", step.members, time.Since(start).Round(100*time.Millisecond))
	}
	if after := podStates(t); after != before {
		t.Errorf("Pods restarted or replaced by the Secret's update: before %s, after %s", before, after)
	}
}

// podStates names every DNS Pod with its UID and restart counts.
func podStates(t *testing.T) string {
	var b strings.Builder
	for _, n := range []string{"node1", "node2"} {
		p := podOn(t, n)
		fmt.Fprintf(&b, "%s:%s", p.Name, p.UID)
		for _, c := range p.Status.ContainerStatuses {
			fmt.Fprintf(&b, " %s=%d", c.Name, c.RestartCount)
		}
		b.WriteString("; ")
	}
	return b.String()
}

func applyMembers(t *testing.T, members ...string) {
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kc, []byte(membersKubeconfig(t, members...)), 0o600); err != nil {
		t.Fatal(err)
	}
	out := env.kubectl(t, "-n", releaseNS, "create", "secret", "generic", "gslb-members", "--from-file=kubeconfig="+kc,
		"--dry-run=client", "-o", "yaml")
	f := filepath.Join(t.TempDir(), "secret.yaml")
	if err := os.WriteFile(f, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	env.kubectl(t, "apply", "-f", f)
}
