package gslb

import (
	"net/netip"
	"path/filepath"
	"time"

	"github.com/coredns/caddy"
)

// parseRouting reads the directives of routing by who asks:
//
//	geoip PATH [RELOAD]   the GeoIP2/GeoLite2 City database of ALGORITHM_GEO;
//	                      its file is checked for changes every RELOAD (5s)
//	ecs_trust CIDR...     use EDNS Client Subnet only from these resolvers
func parseRouting(c *caddy.Controller, cfg *config, dir string, args []string) error {
	switch dir {
	case "geoip":
		if len(args) < 1 || len(args) > 2 {
			return c.Errf("geoip: want 'geoip PATH [RELOAD]'")
		}
		if !filepath.IsAbs(args[0]) {
			return c.Errf("geoip: %q must be an absolute path", args[0])
		}
		cfg.geoip, cfg.geoReload = filepath.Clean(args[0]), defaultReload
		if len(args) == 2 {
			d, err := time.ParseDuration(args[1])
			if err != nil || d < 100*time.Millisecond {
				return c.Errf("geoip: reload %q is not a duration of at least 100ms", args[1])
			}
			cfg.geoReload = d
		}
	case "ecs_trust":
		if len(args) == 0 {
			return c.Errf("ecs_trust: want 'ecs_trust CIDR...'")
		}
		for _, a := range args {
			p, err := netip.ParsePrefix(a)
			if err != nil {
				addr, aerr := netip.ParseAddr(a)
				if aerr != nil {
					return c.Errf("ecs_trust: %q is not a CIDR or an address", a)
				}
				p = netip.PrefixFrom(addr, addr.BitLen())
			}
			cfg.ecsTrust = append(cfg.ecsTrust, p.Masked())
		}
	}
	return nil
}
