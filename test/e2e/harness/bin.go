package harness

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gslbdns/gslb/test/internal/testhost"
)

// RepoRoot returns the directory of the repository's go.mod (see
// testhost.RepoRoot).
func RepoRoot(t testing.TB) string {
	t.Helper()
	root, err := testhost.RepoRoot()
	if err != nil {
		t.Fatalf("harness: cannot find the repository root: %v", err)
	}
	return root
}

// BinDir is $GSLB_BIN, or <repo>/bin when it is not set.
func BinDir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("GSLB_BIN"); d != "" {
		if abs, err := filepath.Abs(d); err == nil {
			return abs
		}
		return d
	}
	return filepath.Join(RepoRoot(t), "bin")
}

// Bin returns the path of the binary name in BinDir. A missing binary fails
// the test: end-to-end tests never skip.
func Bin(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(BinDir(t), name)
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatalf("harness: binary %s not found (%v): run `make build` first, or set GSLB_BIN to the directory holding it", p, err)
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		t.Fatalf("harness: %s is not an executable file: run `make build`", p)
	}
	return p
}
