// Package gotool builds a Go command (helm, kustomize, ...) from the module
// proxy on first use and caches it under
// ${GSLB_CACHE:-~/.cache/gslb}/<name>/<version>/<name>: test/deploy and
// test/e2e/cluster share it. A cold build holds a lock, so that concurrent
// tests wait for one build instead of racing.
package gotool

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Bin returns the path of name, built by `go install pkg@version` when the
// cache does not hold it yet; any failure fails t.
func Bin(t testing.TB, name, pkg, version string) string {
	t.Helper()
	cache := os.Getenv("GSLB_CACHE")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			t.Fatalf("neither GSLB_CACHE nor HOME is set: no place to cache %s: %v", name, err)
		}
		cache = filepath.Join(home, ".cache", "gslb")
	}
	base := filepath.Join(cache, name)
	dir := filepath.Join(base, version)
	bin := filepath.Join(dir, name)
	if IsExec(bin) {
		return bin
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		t.Fatal(err)
	}
	lock, err := os.OpenFile(filepath.Join(base, version+".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		t.Logf("another process is building %s %s; waiting for it", name, version)
		if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
			t.Fatal(err)
		}
	}
	defer unix.Flock(int(lock.Fd()), unix.LOCK_UN)
	if IsExec(bin) {
		return bin
	}
	work, err := os.MkdirTemp(base, ".build-"+version+".")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(work)
	t.Logf("building %s@%s from the module proxy into %s (once; a few minutes)", pkg, version, dir)
	start := time.Now()
	cmd := exec.Command("go", "install", "-trimpath", pkg+"@"+version)
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "GOBIN="+work, "GOFLAGS=-mod=mod", "GOWORK=off", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cannot build %s %s (go install %s@%s): %v\n%s", name, version, pkg, version, err, out)
	}
	if err := os.Rename(work, dir); err != nil {
		t.Fatal(err)
	}
	t.Logf("built %s %s in %v", name, version, time.Since(start).Round(time.Second))
	return bin
}

// IsExec reports whether p is an executable regular file.
func IsExec(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}
