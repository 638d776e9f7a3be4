package gslb

import (
	"fmt"
	"slices"
	"time"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin"
)

// defaultValidity is how long signatures are valid (BIND signs for 30 days,
// CoreDNS's dnssec plugin for about 8; a week leaves days to notice a
// server that stopped re-signing).
const defaultValidity = 7 * 24 * time.Hour

// signConfig is the `dnssec` option: the zone's keys, pre-signed answers.
type signConfig struct {
	keys     []string // key files without extension
	validity time.Duration
}

// parseSign reads `dnssec KEY... [validity DURATION]`.
func parseSign(c *caddy.Controller, cfg *config, args []string) error {
	if len(cfg.sign.keys) > 0 {
		return c.Errf("dnssec: given twice; list every key in one dnssec line")
	}
	cfg.sign.validity = defaultValidity
	if n := len(args); n >= 2 && args[n-2] == "validity" {
		d, err := time.ParseDuration(args[n-1])
		if err != nil || d < time.Hour {
			return c.Errf("dnssec: validity %q must be a duration of at least 1h (e.g. 168h)", args[n-1])
		}
		cfg.sign.validity = d
		args = args[:n-2]
	}
	if len(args) == 0 {
		return c.Errf("dnssec: want 'dnssec KEY... [validity DURATION]' (KEY: the path of a .key/.private pair without extension)")
	}
	cfg.sign.keys = args
	return nil
}

// setupSigning reads the keys of the `dnssec` option and makes a signer
// for each zone that has keys; the signers join the feed (signing its
// table) when the server starts and leave it at shutdown.
func setupSigning(c *caddy.Controller, g *GSLB, cfg *config) error {
	if len(cfg.sign.keys) == 0 {
		return nil
	}
	if len(g.Fall.Zones) > 0 {
		return fmt.Errorf("dnssec: cannot be combined with fallthrough: the next plugin's answers would be unsigned in a signed zone")
	}
	signers, err := newSigners(g, cfg)
	if err != nil {
		return err
	}
	c.OnStartup(func() error {
		if dnsserver.GetConfig(c).Handler("dnssec") != nil {
			return plugin.Error("gslb", fmt.Errorf("the gslb option dnssec and the dnssec plugin are both in this server block: "+
				"remove the dnssec plugin (gslb signs its answers in advance) or the option"))
		}
		for _, s := range signers {
			s.stop = make(chan struct{})
			g.feed.addSigner(s)
			go s.run(s.stop)
		}
		return nil
	})
	c.OnShutdown(func() error {
		for _, s := range signers {
			g.feed.removeSigner(s)
			close(s.stop)
		}
		return nil
	})
	return nil
}

// newSigners reads the keys and attaches a signer to each zone with keys.
func newSigners(g *GSLB, cfg *config) ([]*zoneSigner, error) {
	byZone := map[string][]zoneKey{}
	for _, path := range cfg.sign.keys {
		k, err := readKey(path)
		if err != nil {
			return nil, fmt.Errorf("dnssec: %v", err)
		}
		if !slices.Contains(g.zones, k.pub.Hdr.Name) {
			return nil, fmt.Errorf("dnssec: key %s is for zone %s, not one of this block's zones %v", path, k.pub.Hdr.Name, g.zones)
		}
		byZone[k.pub.Hdr.Name] = append(byZone[k.pub.Hdr.Name], k)
	}
	var out []*zoneSigner
	for i, z := range g.zoneData {
		keys := byZone[z.name]
		if keys == nil {
			continue
		}
		s := &zoneSigner{
			zone:     z.name,
			keys:     newKeySet(z.name, keys),
			z:        z,
			others:   g.zones[:i], // longest first: the longer zones come before
			ttl:      g.ttl,
			negTTL:   min(g.ttl, z.soa.Minttl),
			answers:  g.answers,
			validity: cfg.sign.validity,
			now:      g.feed.now,
		}
		z.signer = s
		out = append(out, s)
	}
	return out, nil
}

// addSigner makes a signed zone follow the feed's table, signing the
// current one at once.
func (f *feed) addSigner(s *zoneSigner) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.signers = append(f.signers, s)
	if t := f.table.Load(); t != nil {
		s.update(t)
	}
}

func (f *feed) removeSigner(s *zoneSigner) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.signers = slices.DeleteFunc(f.signers, func(o *zoneSigner) bool { return o == s })
}

// signTable signs a table before it is served. Callers hold f.mu.
func (f *feed) signTable(t *Table) {
	for _, s := range f.signers {
		s.update(t)
	}
}
