package gslb

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coredns/caddy"
	"github.com/miekg/dns"
)

func TestParseSign(t *testing.T) {
	c := caddy.NewTestController("dns", `gslb avi.iberia.local {
		dnssec /k/ksk /k/zsk validity 48h
	}`)
	cfg, _, err := parse(c)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.sign.keys) != 2 || cfg.sign.keys[1] != "/k/zsk" || cfg.sign.validity != 48*time.Hour {
		t.Errorf("dnssec: %+v", cfg.sign)
	}
	for _, tc := range []struct{ stanza, want string }{
		{"dnssec", "want 'dnssec KEY..."},
		{"dnssec validity 48h", "want 'dnssec KEY..."},
		{"dnssec /k/a validity 5m", "at least 1h"},
		{"dnssec /k/a\n dnssec /k/b", "given twice"},
	} {
		_, _, err := parse(caddy.NewTestController("dns", "gslb avi.iberia.local {\n"+tc.stanza+"\n}"))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.stanza, err, tc.want)
		}
	}
}

// TestSetupSignErrors: keys that cannot be read, or are of another zone,
// and the option with fallthrough, stop the setup with a clear error.
func TestSetupSignErrors(t *testing.T) {
	dir := t.TempDir()
	p, _ := writeTestKey(t, dir, "csk", 257)
	for _, tc := range []struct{ stanza, want string }{
		{"dnssec " + filepath.Join(dir, "missing"), "missing.key: no such file"},
		{"dnssec " + p + "\nfallthrough", "cannot be combined with fallthrough"},
	} {
		c := caddy.NewTestController("dns", "gslb avi.iberia.local {\nlisten unix://"+filepath.Join(dir, "s.sock")+"\n"+tc.stanza+"\n}")
		err := setup(c)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.stanza, err, tc.want)
		}
	}
	c := caddy.NewTestController("dns", "gslb other.example {\nlisten unix://"+filepath.Join(dir, "t.sock")+"\ndnssec "+p+"\n}")
	if err := setup(c); err == nil || !strings.Contains(err.Error(), "is for zone avi.iberia.local., not one of this block's zones") {
		t.Errorf("a key of another zone: %v", err)
	}
}

// TestSignedAnswersN: with answers 2 the signed set is the chosen member
// and the heaviest other, whichever member is chosen; an Ed25519 key signs.
func TestSignedAnswersN(t *testing.T) {
	dir := t.TempDir()
	p, key := writeTestKeyAlg(t, dir, "csk", 257, dns.ED25519, 256)
	cfg := testConfig()
	cfg.answers = 2
	g, s := newSignedGSLB(t, cfg, p)
	full(t, g, scenarioTable()...)
	for range 6 {
		r, _ := serve(t, g, doQuery("hello.avi.iberia.local.", dns.TypeA))
		if len(r.Answer) != 3 {
			t.Fatalf("hello A, answers 2: %v, want 2 A and an RRSIG", r.Answer)
		}
		verifySection(t, "hello A", r.Answer, map[uint16]*dns.DNSKEY{key.KeyTag(): key}, s.now())
	}
	// An alias: its NSEC lists CNAME, and any type is answered by the signed CNAME.
	r, _ := serve(t, g, doQuery("ext.avi.iberia.local.", dns.TypeMX))
	verifySection(t, "ext MX", r.Answer, map[uint16]*dns.DNSKEY{key.KeyTag(): key}, s.now())
	if e := s.cur.Load().entry("ext.avi.iberia.local."); e == nil || e.nsec.TypeBitMap[0] != dns.TypeCNAME {
		t.Errorf("ext: NSEC %v, want CNAME first", e.nsec)
	}
}
