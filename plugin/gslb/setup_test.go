package gslb

import (
	"strings"
	"testing"

	"github.com/coredns/caddy"
)

func TestParse(t *testing.T) {
	c := caddy.NewTestController("dns", `gslb avi.iberia.local {
		soa g-dns.iberia.local. johernandez.iberia.local. refresh 100 retry 20 expire 3000 minimum 5
		ns g-dns.iberia.local. 192.0.2.53 2001:db8::53
		ns ns2.avi.iberia.local.
		ttl 2
		answers 3
		unhandled refused
		listen tcp://127.0.0.1:9443
		tls /etc/gslb/cert.pem /etc/gslb/key.pem /etc/gslb/ca.pem
		persist /var/lib/gslb/table.pb
		member_metrics off
		fallthrough example.org
	}`)
	cfg, fl, err := parse(c)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.zones[0] != "avi.iberia.local." || cfg.mname != "g-dns.iberia.local." || cfg.rname != "johernandez.iberia.local." ||
		cfg.refresh != 100 || cfg.retry != 20 || cfg.expire != 3000 || cfg.minimum != 5 {
		t.Errorf("soa/zones: %+v", cfg)
	}
	if len(cfg.ns) != 2 || len(cfg.ns[0].addrs) != 2 || cfg.ns[1].name != "ns2.avi.iberia.local." {
		t.Errorf("ns: %+v", cfg.ns)
	}
	if cfg.ttl != 2 || cfg.answers != 3 || cfg.unhandled != unhandledRefused {
		t.Errorf("ttl/answers/unhandled: %+v", cfg)
	}
	if cfg.listen != "tcp://127.0.0.1:9443" || len(cfg.tls) != 3 || cfg.persist != "/var/lib/gslb/table.pb" {
		t.Errorf("listen/tls/persist: %+v", cfg)
	}
	if !cfg.noMemberMetrics {
		t.Errorf("member_metrics off not parsed: %+v", cfg)
	}
	if !fl.Through("a.example.org.") || fl.Through("a.avi.iberia.local.") {
		t.Errorf("fallthrough zones: %+v", fl)
	}
}

func TestParseDefaults(t *testing.T) {
	c := caddy.NewTestController("dns", `gslb`)
	c.ServerBlockKeys = []string{"avi.iberia.local:1053"}
	cfg, _, err := parse(c)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.zones[0] != "avi.iberia.local." || cfg.ttl != 30 || cfg.answers != 1 || cfg.unhandled != unhandledNXDomain ||
		cfg.listen != defaultListen || cfg.minimum != 30 || cfg.refresh != 10800 || cfg.persist != "" || cfg.noMemberMetrics {
		t.Errorf("defaults: %+v", cfg)
	}
	z := buildZone(cfg, "avi.iberia.local.", &zoneStats{})
	if z.soa.Ns != "ns1.avi.iberia.local." || z.soa.Mbox != "hostmaster.avi.iberia.local." {
		t.Errorf("default SOA names: %s %s", z.soa.Ns, z.soa.Mbox)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ input, want string }{
		{"gslb {\n soa onlyone\n}", "soa: want 'soa MNAME RNAME"},
		{"gslb {\n soa a. b. refresh\n}", "soa: want 'soa MNAME RNAME"},
		{"gslb {\n soa a. b. refresh x\n}", `soa: refresh "x" is not a number of seconds`},
		{"gslb {\n soa a. b. serial 3\n}", `soa: unknown field "serial"`},
		{"gslb {\n soa a..b. c.\n}", `soa: MNAME: invalid domain name "a..b."`},
		{"gslb {\n ns\n}", "ns: want 'ns NAME [ADDRESS...]'"},
		{"gslb {\n ns g-dns. 300.1.1.1\n}", `ns g-dns.: invalid address "300.1.1.1"`},
		{"gslb {\n ttl\n}", "ttl: want 'ttl SECONDS'"},
		{"gslb {\n ttl -1\n}", `ttl: "-1" is not a number of seconds`},
		{"gslb {\n answers 0\n}", `answers: "0" must be a number between 1 and 64`},
		{"gslb {\n answers 65\n}", `answers: "65" must be a number between 1 and 64`},
		{"gslb {\n unhandled ignore\n}", `unhandled: "ignore" is not one of nxdomain, refused, drop`},
		{"gslb {\n listen /run/gslb.sock\n}", `scheme must be unix:// or tcp://`},
		{"gslb {\n listen unix://relative/x.sock\n}", `want unix:///absolute/path`},
		{"gslb {\n listen tcp://127.0.0.1\n}", `want tcp://HOST:PORT`},
		{"gslb {\n listen tcp://127.0.0.1:9443\n}", `a tcp listener requires mutual TLS`},
		{"gslb {\n tls a b c\n}", `tls applies to a tcp:// listen address`},
		{"gslb {\n tls a b\n}", `tls: want 'tls CERT KEY CLIENT_CA'`},
		{"gslb {\n persist relative.pb\n}", `persist: "relative.pb" must be an absolute path`},
		{"gslb {\n member_metrics\n}", `member_metrics: want 'member_metrics on|off'`},
		{"gslb {\n member_metrics no\n}", `member_metrics: want 'member_metrics on|off'`},
		{"gslb {\n bogus 1\n}", `unknown property "bogus"`},
		{"gslb\ngslb", `gslb can be used only once per server block`},
	} {
		c := caddy.NewTestController("dns", tc.input)
		c.ServerBlockKeys = []string{"avi.iberia.local:1053"}
		_, _, err := parse(c)
		if err == nil {
			t.Errorf("%q: no error, want %q", tc.input, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %q, want %q", tc.input, err, tc.want)
		}
		// Errors name the Corefile line.
		if !strings.Contains(err.Error(), "Testfile:") {
			t.Errorf("%q: error %q does not name the line", tc.input, err)
		}
	}
}

func TestSetupErrorPrefix(t *testing.T) {
	c := caddy.NewTestController("dns", "gslb {\n ttl x\n}")
	err := setup(c)
	if err == nil || !strings.HasPrefix(err.Error(), "plugin/gslb: ") {
		t.Fatalf("setup error %v, want one starting with plugin/gslb:", err)
	}
}
