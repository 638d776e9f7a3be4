package k8senv

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/gslbdns/gslb/test/internal/testhost"
)

// builderScript is the builder's path relative to the repository root.
const builderScript = "test/tools/k8s-bins.sh"

var (
	binMu  sync.Mutex
	binDir string
)

// BinDir returns the directory holding the kube-apiserver and etcd binaries,
// building them first when the cache is cold. It runs
// test/tools/k8s-bins.sh under the repository root (testhost.RepoRoot);
// the script's progress goes to os.Stderr (a cold build takes many
// minutes). The version is the script's default, or
// $GSLB_K8S_VERSION; the cache is under $GSLB_CACHE (default
// ~/.cache/gslb). A warm call costs one short bash run, and the result is
// remembered for the life of the process.
func BinDir() (string, error) {
	binMu.Lock()
	defer binMu.Unlock()
	if binDir != "" {
		return binDir, nil
	}
	script, err := findBuilder()
	if err != nil {
		return "", err
	}
	var stdout bytes.Buffer
	cmd := exec.Command("bash", script)
	cmd.Stdout = &stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building kube-apiserver and etcd with %s failed (%v); its output above says why", script, err)
	}
	dir := strings.TrimSpace(stdout.String())
	for _, bin := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(dir, bin)); err != nil {
			return "", fmt.Errorf("%s printed %q, which holds no %s: %v", script, dir, bin, err)
		}
	}
	binDir = dir
	return dir, nil
}

// findBuilder returns the builder script's path under the repository root.
func findBuilder() (string, error) {
	root, err := testhost.RepoRoot()
	if err != nil {
		return "", err
	}
	p := filepath.Join(root, builderScript)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("the kube-apiserver builder: %v", err)
	}
	return p, nil
}
