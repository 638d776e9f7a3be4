package harness

import (
	"os"
	"path/filepath"
	"testing"
)

// maxSockPath leaves room for a socket name in a SocketDir: a unix socket
// path is limited to 107 bytes, and t.TempDir() paths can be longer.
const maxSockPath = 80

// SocketDir returns a new private directory with a short path, for unix
// sockets; t.Cleanup removes it.
func SocketDir(t testing.TB) string {
	t.Helper()
	base := ""
	if len(os.TempDir()) > maxSockPath-30 {
		base = "/tmp"
	}
	dir, err := os.MkdirTemp(base, "gslb")
	if err != nil {
		t.Fatalf("harness: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// WriteFile rewrites path in place (truncate and write), as an editor
// saving over the file does.
func WriteFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatalf("harness: %v", err)
	}
}

// ReplaceFile writes content to a new file beside path and renames it over
// path, as editors that save atomically and ConfigMap updates do.
func ReplaceFile(t testing.TB, path, content string) {
	t.Helper()
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		t.Fatalf("harness: %v", err)
	}
	_, err = f.WriteString(content)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		t.Fatalf("harness: %v", err)
	}
}
