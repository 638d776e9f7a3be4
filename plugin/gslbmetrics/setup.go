package gslbmetrics

import (
	"math/rand/v2"
	"net"
	"runtime"
	"strconv"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"
	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/metrics/vars"
	clog "github.com/coredns/coredns/plugin/pkg/log"
	"github.com/prometheus/client_golang/prometheus"
)

var log = clog.NewWithPlugin("gslbmetrics")

func init() { plugin.Register("gslbmetrics", setup) }

const (
	defaultAddr   = "localhost:9153"
	defaultSample = 100
)

func setup(c *caddy.Controller) error {
	m, err := parse(c)
	if err != nil {
		return plugin.Error("gslbmetrics", err)
	}
	c.OnStartup(func() error {
		startBlock(m, dnsserver.GetConfig(c))
		setBuildInfo()
		if err := httpListeners.start(m.addr); err != nil {
			return plugin.Error("gslbmetrics", err)
		}
		return nil
	})
	c.OnShutdown(func() error { return httpListeners.stop(m.addr) })
	c.OnRestart(func() error { vars.PluginEnabled.Reset(); return nil })

	dnsserver.GetConfig(c).AddPlugin(func(next plugin.Handler) plugin.Handler {
		m.Next = next
		return m
	})
	return nil
}

// parse reads `gslbmetrics [ADDRESS] { sample N }`.
func parse(c *caddy.Controller) (*Metrics, error) {
	m := &Metrics{addr: defaultAddr}
	every := uint32(defaultSample)
	seen := false
	for c.Next() {
		if seen {
			return nil, plugin.ErrOnce
		}
		seen = true
		m.zones = plugin.OriginsFromArgsOrServerBlock(nil, c.ServerBlockKeys)
		switch args := c.RemainingArgs(); len(args) {
		case 0:
		case 1:
			if _, _, err := net.SplitHostPort(args[0]); err != nil {
				return nil, c.Errf("address %q: %v", args[0], err)
			}
			m.addr = args[0]
		default:
			return nil, c.Errf("want 'gslbmetrics [ADDRESS]', got %d arguments", len(args))
		}
		for c.NextBlock() {
			switch c.Val() {
			case "sample":
				args := c.RemainingArgs()
				if len(args) != 1 {
					return nil, c.Errf("sample: want 'sample N' (one query in N feeds the histograms)")
				}
				n, err := strconv.ParseUint(args[0], 10, 32)
				if err != nil || n < 1 {
					return nil, c.Errf("sample: %q is not a whole number of at least 1", args[0])
				}
				every = uint32(n)
			default:
				return nil, c.Errf("unknown property %q", c.Val())
			}
		}
	}
	m.sample = sampler(every)
	return m, nil
}

// sampler returns a function that is true for one call in every n, at
// random (so that no query pattern can hide from the histograms).
func sampler(n uint32) func() bool {
	if n == 1 {
		return func() bool { return true }
	}
	return func() bool { return rand.Uint32N(n) == 0 }
}

// startBlock reads the server block, now that its plugin chain is built:
// the plugin label's values, the view, and whether the stock prometheus
// plugin is in the block (then it counts, and gslbmetrics only serves
// /metrics, so nothing is counted twice). It marks the block's plugins
// enabled, as the stock plugin does.
func startBlock(m *Metrics, conf *dnsserver.Config) {
	var names []string
	counting := true
	for _, h := range conf.Handlers() {
		names = append(names, h.Name())
		if h.Name() == "prometheus" {
			counting = false
		}
	}
	m.setBlock(blockInfo{view: conf.ViewName, plugins: names}, counting)
	for _, h := range conf.ListenHosts {
		addr := conf.Transport + "://" + net.JoinHostPort(h, conf.Port)
		for _, p := range names {
			vars.PluginEnabled.WithLabelValues(addr, conf.Zone, conf.ViewName, p).Set(1)
		}
	}
}

// setBuildInfo sets coredns_build_info, registering the same vector as the
// stock plugin (or finding the one it registered).
func setBuildInfo() {
	v := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: plugin.Namespace,
		Name:      "build_info",
		Help:      "A metric with a constant '1' value labeled by version, revision, and goversion from which CoreDNS was built.",
	}, []string{"version", "revision", "goversion"})
	if err := prometheus.Register(v); err != nil {
		are, ok := err.(prometheus.AlreadyRegisteredError)
		existing, isVec := are.ExistingCollector.(*prometheus.GaugeVec)
		if !ok || !isVec {
			log.Warningf("coredns_build_info: %v", err)
			return
		}
		v = existing
	}
	v.WithLabelValues(coremain.CoreVersion, coremain.GitCommit, runtime.Version()).Set(1)
}
