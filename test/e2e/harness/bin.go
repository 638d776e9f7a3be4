package harness

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

var (
	rootOnce sync.Once
	rootDir  string
	rootErr  error
)

// RepoRoot returns the directory of the repository's go.mod, found by walking
// up from the working directory (go test runs in the package directory).
func RepoRoot(t testing.TB) string {
	t.Helper()
	rootOnce.Do(func() {
		dir, err := os.Getwd()
		if err != nil {
			rootErr = err
			return
		}
		for {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				rootDir = dir
				return
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				rootErr = os.ErrNotExist
				return
			}
			dir = parent
		}
	})
	if rootErr != nil {
		t.Fatalf("harness: cannot find the repository root (go.mod) above the working directory: %v", rootErr)
	}
	return rootDir
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
