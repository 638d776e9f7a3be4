package gslb

import (
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/pkg/fall"
	clog "github.com/coredns/coredns/plugin/pkg/log"
	"github.com/miekg/dns"
)

var log = clog.NewWithPlugin("gslb")

func init() { plugin.Register("gslb", setup) }

// Defaults.
const (
	defaultTTL     = 30
	defaultRefresh = 10800
	defaultRetry   = 3600
	defaultExpire  = 86400
	defaultMinimum = 30
	maxAnswers     = 64
	defaultReload  = 5 * time.Second
)

// config is the parsed gslb stanza of one server block.
type config struct {
	zones     []string
	mname     string // SOA MNAME; "" means the first ns, else ns1.<zone>
	rname     string // SOA RNAME; "" means hostmaster.<zone>
	refresh   uint32
	retry     uint32
	expire    uint32
	minimum   uint32
	ns        []nsConfig
	ttl       uint32
	answers   int
	unhandled unhandledMode
	listen    string
	tls       []string
	persist   string
	// noMemberMetrics: member_metrics off, no per-member series (large tables).
	noMemberMetrics bool
	geoip           string        // GeoIP database path ("" none)
	geoReload       time.Duration // how often its file is checked
	ecsTrust        ecsTrust
	sign            signConfig // dnssec: pre-signed answers (setup_sign.go)
}

type nsConfig struct {
	name  string
	addrs []netip.Addr
}

func setup(c *caddy.Controller) error {
	cfg, fl, err := parse(c)
	if err != nil {
		return plugin.Error("gslb", err)
	}
	var geo *geoDB
	if cfg.geoip != "" {
		if geo, err = openGeoDB(cfg.geoip, cfg.geoReload); err != nil {
			return plugin.Error("gslb", c.Err(err.Error()))
		}
	}
	f, err := feeds.get(cfg.listen, cfg.tls, cfg.persist)
	if err != nil {
		return plugin.Error("gslb", c.Err(err.Error()))
	}
	f.addZones(cfg.zones)
	g := newGSLB(cfg, f, feeds.rng)
	g.Fall = fl
	g.geo = geo
	if err := setupSigning(c, g, cfg); err != nil {
		return plugin.Error("gslb", c.Err(err.Error()))
	}
	if geo != nil {
		c.OnStartup(func() error { geo.start(); return nil })
		c.OnShutdown(func() error { geo.close(); return nil })
	}

	c.OnStartup(func() error {
		if err := feeds.start(f); err != nil {
			return plugin.Error("gslb", err)
		}
		f.met.quietMembers(cfg.noMemberMetrics, 1)
		return nil
	})
	c.OnShutdown(func() error {
		f.met.quietMembers(cfg.noMemberMetrics, -1)
		f.removeZones(cfg.zones)
		return feeds.stop(f)
	})

	dnsserver.GetConfig(c).AddPlugin(func(next plugin.Handler) plugin.Handler {
		g.Next = next
		// The chain is built from its end: a transfer plugin after us is registered by now.
		g.transfer = dnsserver.GetConfig(c).Handler("transfer") != nil
		return g
	})
	return nil
}

// newGSLB builds the handler of a server block.
func newGSLB(cfg *config, f *feed, rng Rand) *GSLB {
	g := &GSLB{
		ttl:       cfg.ttl,
		answers:   cfg.answers,
		unhandled: cfg.unhandled,
		feed:      f,
		rng:       rng,
		ecs:       cfg.ecsTrust,
	}
	zones := slices.Clone(cfg.zones)
	// Longest first, so the most specific zone wins.
	slices.SortStableFunc(zones, func(a, b string) int { return dns.CountLabel(b) - dns.CountLabel(a) })
	for _, z := range zones {
		g.zones = append(g.zones, z)
		g.zoneData = append(g.zoneData, buildZone(cfg, z, f.zoneStats(z)))
	}
	return g
}

// buildZone prepares the SOA, NS and glue of one zone.
func buildZone(cfg *config, zone string, stats *zoneStats) *zoneData {
	z := &zoneData{name: zone, hosts: map[string][]nsRR{}, stats: stats}
	nsNames := make([]string, 0, len(cfg.ns))
	for _, n := range cfg.ns {
		nsNames = append(nsNames, n.name)
	}
	if len(nsNames) == 0 {
		nsNames = []string{dnsJoin("ns1", zone)}
	}
	mname := cfg.mname
	if mname == "" {
		mname = nsNames[0]
	}
	rname := cfg.rname
	if rname == "" {
		rname = dnsJoin("hostmaster", zone)
	}
	z.soa = dns.SOA{
		Hdr:     dns.RR_Header{Name: zone, Rrtype: dns.TypeSOA, Class: dns.ClassINET},
		Ns:      mname,
		Mbox:    rname,
		Refresh: cfg.refresh,
		Retry:   cfg.retry,
		Expire:  cfg.expire,
		Minttl:  cfg.minimum,
	}
	for _, n := range nsNames {
		z.ns = append(z.ns, &dns.NS{Hdr: dns.RR_Header{Name: zone, Rrtype: dns.TypeNS, Class: dns.ClassINET}, Ns: n})
	}
	for _, n := range cfg.ns {
		for _, a := range n.addrs {
			rr := addressRR(n.name, a)
			z.glue = append(z.glue, rr)
			if matchZone(n.name, zone) {
				z.hosts[n.name] = append(z.hosts[n.name], nsRR{addr: a, rr: rr})
			}
		}
	}
	return z
}

func dnsJoin(label, zone string) string {
	if zone == "." {
		return label + "."
	}
	return label + "." + zone
}

// parse reads the gslb stanza. Errors name the Corefile line (c.Errf).
func parse(c *caddy.Controller) (*config, fall.F, error) {
	cfg := &config{
		refresh: defaultRefresh,
		retry:   defaultRetry,
		expire:  defaultExpire,
		minimum: defaultMinimum,
		ttl:     defaultTTL,
		answers: 1,
		listen:  defaultListen,
	}
	var fl fall.F
	seen := false
	for c.Next() {
		if seen {
			return nil, fl, c.Err("gslb can be used only once per server block")
		}
		seen = true
		cfg.zones = plugin.OriginsFromArgsOrServerBlock(c.RemainingArgs(), c.ServerBlockKeys)
		for c.NextBlock() {
			if err := parseDirective(c, cfg, &fl); err != nil {
				return nil, fl, err
			}
		}
	}
	if cfg.tls != nil {
		la, err := parseListen(cfg.listen)
		if err == nil && la.network != "tcp" {
			return nil, fl, c.Errf("tls applies to a tcp:// listen address, not %s", cfg.listen)
		}
	}
	if la, err := parseListen(cfg.listen); err == nil && la.network == "tcp" && cfg.tls == nil {
		return nil, fl, c.Errf("listen %s: a tcp listener requires mutual TLS: add 'tls CERT KEY CLIENT_CA'", cfg.listen)
	}
	return cfg, fl, nil
}

func parseDirective(c *caddy.Controller, cfg *config, fl *fall.F) error {
	dir := c.Val()
	args := c.RemainingArgs()
	switch dir {
	case "soa":
		if len(args) < 2 || len(args)%2 != 0 {
			return c.Errf("soa: want 'soa MNAME RNAME [refresh N] [retry N] [expire N] [minimum N]', got %d arguments", len(args))
		}
		var err error
		if cfg.mname, err = gslbv1.CanonicalName(args[0]); err != nil {
			return c.Errf("soa: MNAME: %v", err)
		}
		if cfg.rname, err = gslbv1.CanonicalName(args[1]); err != nil {
			return c.Errf("soa: RNAME: %v", err)
		}
		for i := 2; i < len(args); i += 2 {
			n, err := strconv.ParseUint(args[i+1], 10, 32)
			if err != nil {
				return c.Errf("soa: %s %q is not a number of seconds", args[i], args[i+1])
			}
			switch args[i] {
			case "refresh":
				cfg.refresh = uint32(n)
			case "retry":
				cfg.retry = uint32(n)
			case "expire":
				cfg.expire = uint32(n)
			case "minimum":
				cfg.minimum = uint32(n)
			default:
				return c.Errf("soa: unknown field %q (want refresh, retry, expire or minimum)", args[i])
			}
		}
	case "ns":
		if len(args) < 1 {
			return c.Errf("ns: want 'ns NAME [ADDRESS...]'")
		}
		name, err := gslbv1.CanonicalName(args[0])
		if err != nil {
			return c.Errf("ns: %v", err)
		}
		n := nsConfig{name: name}
		for _, a := range args[1:] {
			ip, err := gslbv1.ParseAddress(a)
			if err != nil {
				return c.Errf("ns %s: %v", args[0], err)
			}
			n.addrs = append(n.addrs, ip)
		}
		cfg.ns = append(cfg.ns, n)
	case "ttl":
		if len(args) != 1 {
			return c.Errf("ttl: want 'ttl SECONDS'")
		}
		n, err := strconv.ParseUint(args[0], 10, 32)
		if err != nil || n > gslbv1.MaxTTL {
			return c.Errf("ttl: %q is not a number of seconds between 0 and %d", args[0], gslbv1.MaxTTL)
		}
		cfg.ttl = uint32(n)
	case "answers":
		if len(args) != 1 {
			return c.Errf("answers: want 'answers N'")
		}
		n, err := strconv.Atoi(args[0])
		if err != nil || n < 1 || n > maxAnswers {
			return c.Errf("answers: %q must be a number between 1 and %d", args[0], maxAnswers)
		}
		cfg.answers = n
	case "unhandled":
		if len(args) != 1 {
			return c.Errf("unhandled: want 'unhandled nxdomain|refused|drop'")
		}
		switch args[0] {
		case "nxdomain":
			cfg.unhandled = unhandledNXDomain
		case "refused":
			cfg.unhandled = unhandledRefused
		case "drop":
			cfg.unhandled = unhandledDrop
		default:
			return c.Errf("unhandled: %q is not one of nxdomain, refused, drop", args[0])
		}
	case "listen":
		if len(args) != 1 {
			return c.Errf("listen: want 'listen unix:///PATH' or 'listen tcp://HOST:PORT'")
		}
		if _, err := parseListen(args[0]); err != nil {
			return c.Err(err.Error())
		}
		cfg.listen = args[0]
	case "tls":
		if len(args) != 3 {
			return c.Errf("tls: want 'tls CERT KEY CLIENT_CA'")
		}
		cfg.tls = make([]string, 3)
		for i, a := range args {
			cfg.tls[i] = filepath.Clean(a)
		}
	case "persist":
		if len(args) != 1 {
			return c.Errf("persist: want 'persist PATH'")
		}
		if !filepath.IsAbs(args[0]) {
			return c.Errf("persist: %q must be an absolute path", args[0])
		}
		cfg.persist = filepath.Clean(args[0])
	case "member_metrics":
		if len(args) != 1 || (args[0] != "on" && args[0] != "off") {
			return c.Errf("member_metrics: want 'member_metrics on|off'")
		}
		cfg.noMemberMetrics = args[0] == "off"
	case "fallthrough":
		fl.SetZonesFromArgs(args)
	case "dnssec":
		return parseSign(c, cfg, args)
	case "geoip", "ecs_trust":
		return parseRouting(c, cfg, dir, args)
	default:
		return c.Errf("unknown property %q", dir)
	}
	return nil
}
