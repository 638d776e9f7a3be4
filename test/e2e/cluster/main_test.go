// Package cluster_test runs the Helm chart, then the kustomize base (after
// `helm uninstall`: they share cluster-scoped names), on a real cluster: the control
// plane and two nodes of test/tools/cluster.sh (real kubelets, each with its
// own containerd, kube-proxy, Debian's CNI bridge), the images of
// `make images` imported into every node, the scenario's three member
// clusters as bare apiservers. One cluster is shared by every test of the
// package (TestMain): it is started before them and stopped after.
//
// TestMain starts the cluster, then runs the test binary again inside the
// cluster's hub network namespace (nsenter), where the apiservers
// (10.88.0.1) and the nodes (10.88.0.11, 10.88.0.12) are reachable. A
// missing component (binary, image, Debian package that cannot be
// installed) fails the package: nothing is skipped.
package cluster_test

import (
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gslbdns/gslb/test/internal/testhost"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Set for the run inside the hub: the cluster's directory and name.
const (
	envDir  = "GSLB_CLUSTER_DIR"
	envName = "GSLB_CLUSTER_NAME"
)

// Node addresses (cluster.sh), and the NodePort the tests give the chart's Service.
var nodeAddrs = []string{"10.88.0.11", "10.88.0.12"}

const nodePort = 30053

// env is the shared cluster, set by TestMain inside the hub.
var env *clusterEnv

type clusterEnv struct {
	root, dir, name string
	k8sBin          string // kubectl, from test/tools/k8s-bins.sh
	cfg             *rest.Config
	cs              kubernetes.Interface
}

func TestMain(m *testing.M) {
	if os.Getenv(envDir) == "" {
		os.Exit(outside(m))
	}
	var err error
	if env, err = newClusterEnv(os.Getenv(envDir), os.Getenv(envName)); err != nil {
		fmt.Fprintf(os.Stderr, "cluster: %v\n", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// outside starts the cluster, runs the tests inside its hub and stops it.
func outside(m *testing.M) (code int) {
	_ = m
	root, err := testhost.RepoRoot()
	if err != nil {
		fmt.Fprintf(os.Stderr, "cluster: %v\n", err)
		return 1
	}
	bin := os.Getenv("GSLB_BIN")
	if bin == "" {
		bin = filepath.Join(root, "bin")
	}
	bin, _ = filepath.Abs(bin)
	dir, err := os.MkdirTemp("", "gslb-cluster-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "cluster: %v\n", err)
		return 1
	}
	name := fmt.Sprintf("gc%d", os.Getpid()%100000)
	script := filepath.Join(root, "test", "tools", "cluster.sh")
	defer func() {
		down := exec.Command(script, "down", dir, name)
		down.Stdout, down.Stderr = os.Stderr, os.Stderr
		if err := down.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "cluster: cluster.sh down: %v\n", err)
			return
		}
		if code == 0 {
			_ = os.RemoveAll(dir)
		}
	}()
	up := exec.Command(script, "up", dir, name)
	up.Env = append(os.Environ(), "GSLB_IMAGES="+filepath.Join(bin, "images"))
	up.Stdout, up.Stderr = os.Stderr, os.Stderr
	if err := up.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "cluster: cluster.sh up %s %s failed (%v)\n%s", dir, name, err, logTails(dir))
		return 1
	}
	inner := exec.Command("nsenter", append([]string{"--net=/run/netns/" + name + "-hub", "--", os.Args[0]}, os.Args[1:]...)...)
	inner.Env = append(os.Environ(), envDir+"="+dir, envName+"="+name, "GSLB_BIN="+bin)
	inner.Stdout, inner.Stderr = os.Stdout, os.Stderr
	if err := inner.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "cluster: the tests failed (%v); logs of the cluster:\n%s", err, logTails(dir))
		return 1
	}
	return 0
}

// logTails is the end of every component's log.
func logTails(dir string) string {
	var b strings.Builder
	logs, _ := filepath.Glob(filepath.Join(dir, "logs", "*.log"))
	for _, l := range logs {
		data, _ := os.ReadFile(l)
		fmt.Fprintf(&b, "--- %s\n%s\n", l, testhost.Tail(data, 15))
	}
	return b.String()
}

func newClusterEnv(dir, name string) (*clusterEnv, error) {
	root, err := testhost.RepoRoot()
	if err != nil {
		return nil, err
	}
	out, err := exec.Command(filepath.Join(root, "test", "tools", "k8s-bins.sh")).Output()
	if err != nil {
		return nil, fmt.Errorf("k8s-bins.sh: %v", err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", filepath.Join(dir, "admin.kubeconfig"))
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = 50, 100
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &clusterEnv{root: root, dir: dir, name: name, k8sBin: strings.TrimSpace(string(out)), cfg: cfg, cs: cs}, nil
}

// memberConfig is the admin config of the member cluster m (s1az1, ...).
func (e *clusterEnv) memberConfig(m string) (*rest.Config, error) {
	return clientcmd.BuildConfigFromFlags("", filepath.Join(e.dir, m+".kubeconfig"))
}

// kubectl runs kubectl as the admin and returns its output; a failure fails t.
func (e *clusterEnv) kubectl(t testing.TB, args ...string) string {
	t.Helper()
	out, err := e.kubectlErr(args...)
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (e *clusterEnv) kubectlErr(args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(e.k8sBin, "kubectl"), append([]string{"--kubeconfig", filepath.Join(e.dir, "admin.kubeconfig")}, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func runCmd(bin string, args ...string) (string, error) {
	out, err := exec.Command(bin, args...).CombinedOutput()
	return string(out), err
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
