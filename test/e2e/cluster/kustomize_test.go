package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/gslbdns/gslb/test/e2e/harness"
	"github.com/gslbdns/gslb/test/kubescenario"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
)

// The kustomize base's DaemonSet, and the NodePort of overlays/nodeport.
const (
	kustomizeDS       = "coredns-gslb"
	kustomizeNodePort = 30053
)

// TestKustomizeServesTheScenario: the kustomize base applied the way
// deploy/README.md tells a user (sections 2 to 5: the CRDs, the RBAC, the
// members Secret, `kubectl apply -k deploy/kustomize/overlays/nodeport`, a
// policy) gives two Running and Ready Pods (their real probes) from the
// images imported into the nodes, and each node's NodePort answers the
// scenario exactly: 6:4:2 over 1,200 queries, NODATA for AAAA, NXDOMAIN
// with the SOA.
//
// The base and the chart's release share names a cluster holds once: the
// namespace gslb, the ClusterRoles and ClusterRoleBindings gslb-syncer-config
// and gslb-syncer-member, the ServiceAccount gslb/gslb-syncer, the Lease
// gslb/gslb-syncer and NodePort 30053. So this is another run on the same
// nodes: the chart's release is uninstalled first. The test runs after the
// chart's tests (its file sorts after theirs); a test needing the release
// after it fails with a message saying so.
func TestKustomizeServesTheScenario(t *testing.T) {
	setupScenario(t)
	uninstallChart(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	deploy := filepath.Join(env.root, "deploy")
	start := time.Now()
	env.kubectl(t, "apply", "--server-side", "-f", filepath.Join(deploy, "crds"))
	rbac := filepath.Join(deploy, "rbac")
	env.kubectl(t, "apply", "-f", filepath.Join(rbac, "serviceaccounts.yaml"), "-f", filepath.Join(rbac, "config-policies.yaml"),
		"-f", filepath.Join(rbac, "member-readonly.yaml"), "-f", filepath.Join(rbac, "bindings.yaml"),
		"-f", filepath.Join(rbac, "leader-election.yaml"))
	applyPolicy(ctx, t)
	env.kubectl(t, "apply", "-k", filepath.Join(deploy, "kustomize", "overlays", "nodeport"))
	var addrs []string
	for _, node := range nodeAddrs {
		addrs = append(addrs, fmt.Sprintf("%s:%d", node, kustomizeNodePort))
	}
	if err := waitServing(ctx, t, "kubectl apply -k", kustomizeDS, addrs, start); err != nil {
		t.Fatal(err)
	}
	for _, addr := range addrs {
		t.Run(addr, func(t *testing.T) { checkScenario(t, addr) })
	}
}

// applyPolicy creates the scenario's policy (6:4:2, TTL 1 s, no health
// check: the members' addresses serve nothing) in the namespace gslb.
func applyPolicy(ctx context.Context, t *testing.T) {
	dyn, err := dynamic.NewForConfig(env.cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := kubescenario.Policy(kubescenario.GDPName, 1, [3]int32{6, 4, 2})
	p.Namespace = releaseNS
	if err := kubescenario.Apply(ctx, dyn, p); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("the policy: %v", err)
	}
}

// uninstallChart uninstalls the chart's release if it is installed and
// waits until its Pods are gone (they carry the label the base's Service
// selects); the release cannot be installed again in this run.
func uninstallChart(t *testing.T) {
	out, err := runHelm(helmBin(t), "uninstall", release, "--namespace", releaseNS, "--ignore-not-found", "--wait", "--timeout", "2m")
	if err != nil {
		t.Fatalf("helm uninstall: %v\n%s", err, out)
	}
	installOnce.Do(func() {})
	installOnce.err = errors.New("the release was uninstalled by TestKustomizeServesTheScenario, which runs after the chart's tests")
	harness.Eventually(t, 2*time.Minute, func() error {
		pods, err := env.cs.CoreV1().Pods(releaseNS).List(context.Background(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/instance=" + release})
		if err != nil {
			return err
		}
		if n := len(pods.Items); n != 0 {
			return fmt.Errorf("%d Pods of the release %s left", n, release)
		}
		return nil
	})
}
