package gslb

import (
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coredns/caddy"
)

func TestParseRouting(t *testing.T) {
	c := caddy.NewTestController("dns", `gslb avi.iberia.local {
		geoip /var/lib/GeoIP/GeoLite2-City.mmdb 30s
		ecs_trust 192.0.2.53 2001:db8::/64
	}`)
	cfg, _, err := parse(c)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.geoip != "/var/lib/GeoIP/GeoLite2-City.mmdb" || cfg.geoReload != 30*time.Second {
		t.Errorf("geoip: %q %v", cfg.geoip, cfg.geoReload)
	}
	want := ecsTrust{netip.MustParsePrefix("192.0.2.53/32"), netip.MustParsePrefix("2001:db8::/64")}
	if len(cfg.ecsTrust) != 2 || cfg.ecsTrust[0] != want[0] || cfg.ecsTrust[1] != want[1] {
		t.Errorf("ecs_trust: %v, want %v", cfg.ecsTrust, want)
	}
	c = caddy.NewTestController("dns", "gslb avi.iberia.local {\n geoip /x.mmdb\n}")
	if cfg, _, _ = parse(c); cfg.geoReload != defaultReload {
		t.Errorf("default reload %v", cfg.geoReload)
	}
}

func TestParseRoutingErrors(t *testing.T) {
	for _, tc := range []struct{ input, want string }{
		{"gslb {\n geoip\n}", "geoip: want 'geoip PATH [RELOAD]'"},
		{"gslb {\n geoip city.mmdb\n}", `geoip: "city.mmdb" must be an absolute path`},
		{"gslb {\n geoip /city.mmdb soon\n}", `geoip: reload "soon" is not a duration`},
		{"gslb {\n ecs_trust\n}", "ecs_trust: want 'ecs_trust CIDR...'"},
		{"gslb {\n ecs_trust resolver1\n}", `ecs_trust: "resolver1" is not a CIDR or an address`},
	} {
		c := caddy.NewTestController("dns", tc.input)
		c.ServerBlockKeys = []string{"avi.iberia.local:1053"}
		_, _, err := parse(c)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "Testfile:2") {
			t.Errorf("%q: error %v, want %q at Testfile:2", tc.input, err, tc.want)
		}
	}
}

func TestSetupGeoIPMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent.mmdb")
	c := caddy.NewTestController("dns", "gslb avi.iberia.local {\n geoip "+path+"\n listen unix://"+filepath.Join(t.TempDir(), "g.sock")+"\n}")
	err := setup(c)
	if err == nil || !strings.Contains(err.Error(), "absent.mmdb") {
		t.Fatalf("setup with a missing database: %v", err)
	}
}
