package delegation

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const testSecret = "c2VjcmV0IG9mIGdzbGItc2l0ZS1hLCAzMiBieXRlcyE="

func writeTemp(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadFile(t *testing.T) {
	key := writeTemp(t, "tsig.key", "key \"gslb-a\" {\n\talgorithm hmac-sha256;\n\tsecret \""+testSecret+"\";\n};\n")
	good := `zone: avi.iberia.local
nameServer:
  name: g-dns-a.iberia.local
  addresses: [192.0.2.53, "2001:db8::53"]
withdrawAfter: 30s
rfc2136:
  server: 192.0.2.10
  parentZone: iberia.local
  keyFile: KEY
dnsEndpoint:
  namespace: gslb
`
	f, err := LoadFile(writeTemp(t, "d.yaml", strings.ReplaceAll(good, "KEY", key)))
	if err != nil {
		t.Fatal(err)
	}
	r := f.RFC2136
	if f.Zone != "avi.iberia.local." || f.NS != "g-dns-a.iberia.local." || f.WithdrawAfter != 30*time.Second ||
		f.Interval != DefaultInterval || r.Server != "192.0.2.10:53" || r.ParentZone != "iberia.local." ||
		r.Key.Name != "gslb-a." || r.Key.Algorithm != "hmac-sha256." || r.Key.Secret != testSecret ||
		fmt.Sprint(r.Addrs) != "[192.0.2.53 2001:db8::53]" {
		t.Errorf("loaded %+v, rfc2136 %+v", f, r)
	}
	if !f.SiteDNS || f.SiteDNSTimeout != DefaultSiteDNSTimeout || fmt.Sprint(f.Addrs) != "[192.0.2.53 2001:db8::53]" {
		t.Errorf("readiness: site DNS %v, timeout %v, addresses %v; want on, the default, the NS addresses", f.SiteDNS, f.SiteDNSTimeout, f.Addrs)
	}
	off, err := LoadFile(writeTemp(t, "d.yaml", strings.ReplaceAll(strings.Replace(good, "withdrawAfter: 30s", "withdrawAfter: 30s\nreadiness: {siteDNS: false, timeout: 500ms}", 1), "KEY", key)))
	if err != nil || off.SiteDNS || off.SiteDNSTimeout != 500*time.Millisecond {
		t.Errorf("readiness {siteDNS: false, timeout: 500ms}: %v, %+v", err, off)
	}
	if e := f.DNSEndpoint; e == nil || e.Name != "gslb-delegation-avi-iberia-local" || e.Namespace != "gslb" || e.TTL != 300 {
		t.Errorf("dnsEndpoint %+v", e)
	}

	unsigned, err := LoadFile(writeTemp(t, "d.yaml", strings.Replace(good, "keyFile: KEY", "unsigned: true", 1)))
	if err != nil || !unsigned.RFC2136.Unsigned || unsigned.RFC2136.Key != (Key{}) {
		t.Errorf("unsigned: %v, %+v", err, unsigned)
	}

	cases := []struct {
		name, from, to, want string
	}{
		{"unknown field", "withdrawAfter: 30s", "withdrawafter: 30s", "d.yaml: yaml: unmarshal errors:\n  line 5: field withdrawafter not found"},
		{"bad address", "192.0.2.53,", "192.0.2.533,", "d.yaml:4: nameServer.addresses[0]: \"192.0.2.533\" is not an IP address"},
		{"no zone", "zone: avi.iberia.local", "zone: \"\"", "d.yaml:1: zone: is empty"},
		{"negative time", "30s", "-30s", "d.yaml:5: withdrawAfter: -30s is negative"},
		{"negative DNS timeout", "withdrawAfter: 30s", "withdrawAfter: 30s\nreadiness:\n  timeout: -1s", "d.yaml:7: readiness.timeout: -1s is negative"},
		{"no key file", "keyFile: KEY", "keyFile: \"\"", "d.yaml:9: rfc2136.keyFile: is empty"},
		{"missing key file", "keyFile: KEY", "keyFile: /nonexistent/tsig.key", "d.yaml:9: rfc2136.keyFile: open /nonexistent/tsig.key"},
		{"zone outside the parent", "parentZone: iberia.local", "parentZone: example.org", "d.yaml:8: rfc2136.parentZone: zone avi.iberia.local. is not below parent zone example.org."},
		{"unsigned with a key", "keyFile: KEY", "keyFile: KEY\n  unsigned: true", "d.yaml:10: rfc2136.unsigned: is true, and rfc2136.keyFile is set: choose one"},
		{"no output", "rfc2136:", "x:", "field x not found"},
	}
	for _, tc := range cases {
		text := strings.ReplaceAll(strings.Replace(good, tc.from, tc.to, 1), "KEY", key)
		if tc.name == "no output" {
			text = "zone: avi.iberia.local\nnameServer: {name: ns.example.net}\n"
			tc.want = "d.yaml: rfc2136: neither rfc2136 nor dnsEndpoint is set"
		}
		_, err := LoadFile(writeTemp(t, "d.yaml", text))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

func TestReadKeyFile(t *testing.T) {
	cases := []struct {
		name, text, want string // want: the error's text after "PATH:", or "" for the key below
	}{
		{"tsig-keygen", "key \"gslb-a\" {\n\talgorithm hmac-sha256;\n\tsecret \"" + testSecret + "\";\n};\n", ""},
		{"comments, one line", "# made by tsig-keygen\nkey gslb-a { /* c */ algorithm hmac-sha256; secret \"" + testSecret + "\"; }; // end\n", ""},
		{"no secret", "key \"gslb-a\" {\n\talgorithm hmac-sha256;\n};\n", "3: key \"gslb-a\" has no secret"},
		{"not base64", "key \"gslb-a\" {\n\talgorithm hmac-sha256;\n\tsecret \"not*base64\";\n};\n", "3: the secret is not base64 (10 characters)"},
		{"unknown statement", "key \"gslb-a\" {\n\tsize 256;\n};\n", "2: unknown statement \"size\""},
		{"two keys", "key a { algorithm hmac-sha256; secret \"" + testSecret + "\"; };\nkey b {};", "2: more than one key"},
		{"truncated", "key \"gslb-a\" {\n\talgorithm hmac-sha256;", "the file ends where"},
		{"not a key", "options { };", "1: \"options\" where \"key\" should be"},
	}
	for _, tc := range cases {
		path := writeTemp(t, "tsig.key", tc.text)
		k, err := ReadKeyFile(path)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want == "" && (k.Name != "gslb-a" || k.Algorithm != "hmac-sha256" || k.Secret != testSecret):
			t.Errorf("%s: %+v", tc.name, k)
		case tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), path+":") || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want %s:...%s", tc.name, err, path, tc.want)
		case err != nil && strings.Contains(err.Error(), "not*base64"):
			t.Errorf("%s: the error shows the secret: %v", tc.name, err)
		}
	}
}
