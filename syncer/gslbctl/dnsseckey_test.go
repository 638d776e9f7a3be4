package gslbctl

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coredns/coredns/plugin/dnssec"
	"github.com/miekg/dns"
)

// The key files load in CoreDNS's dnssec plugin, the DS is the key's, and
// an existing key is never overwritten.
func TestDNSSECKey(t *testing.T) {
	dir := t.TempDir()
	ds, err := DNSSECKey("Avi.Iberia.Local", dir, "csk")
	if err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(dir, "csk")
	k, err := dnssec.ParseKeyFile(base+".key", base+".private")
	if err != nil {
		t.Fatalf("CoreDNS cannot read the key: %v", err)
	}
	if k.K.Hdr.Name != "avi.iberia.local." || k.K.Flags != 257 || k.K.Algorithm != dns.ECDSAP256SHA256 {
		t.Errorf("key: %s", k.K)
	}
	if got := k.K.ToDS(dns.SHA256); got.String() != ds.String() || ds.DigestType != dns.SHA256 {
		t.Errorf("DS %s, want the key's %s", ds, got)
	}
	if fi, err := os.Stat(base + ".private"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("private key file mode: %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	before, _ := os.ReadFile(base + ".private")
	if _, err := DNSSECKey("avi.iberia.local", dir, "csk"); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("second key under the same name: %v, want an error saying it exists", err)
	}
	if after, _ := os.ReadFile(base + ".private"); string(after) != string(before) {
		t.Error("the existing private key was overwritten")
	}
}
