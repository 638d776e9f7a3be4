// Command coredns-gslb is CoreDNS with the gslb plugin and a curated set of
// stock plugins: the ones a GSLB name server uses (serving, observing,
// securing, forwarding what is not ours), without the cloud and cluster
// backends (route53, azure, clouddns, kubernetes, etcd, nomad) and tracing
// exporters that make up most of a stock build's size.
package main

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"

	_ "github.com/gslbdns/gslb/plugin/gslb"
	_ "github.com/gslbdns/gslb/plugin/gslbmetrics"

	_ "github.com/coredns/caddy/onevent"
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"
	_ "github.com/coredns/coredns/plugin/acl"
	_ "github.com/coredns/coredns/plugin/any"
	_ "github.com/coredns/coredns/plugin/auto"
	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/bufsize"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/cancel"
	_ "github.com/coredns/coredns/plugin/chaos"
	_ "github.com/coredns/coredns/plugin/debug"
	_ "github.com/coredns/coredns/plugin/dnssec"
	_ "github.com/coredns/coredns/plugin/dnstap"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/file"
	_ "github.com/coredns/coredns/plugin/forward"
	_ "github.com/coredns/coredns/plugin/geoip"
	_ "github.com/coredns/coredns/plugin/header"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/hosts"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/local"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/loop"
	_ "github.com/coredns/coredns/plugin/metadata"
	_ "github.com/coredns/coredns/plugin/metrics"
	_ "github.com/coredns/coredns/plugin/minimal"
	_ "github.com/coredns/coredns/plugin/multisocket"
	_ "github.com/coredns/coredns/plugin/nsid"
	_ "github.com/coredns/coredns/plugin/pprof"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"
	_ "github.com/coredns/coredns/plugin/rewrite"
	_ "github.com/coredns/coredns/plugin/root"
	_ "github.com/coredns/coredns/plugin/secondary"
	_ "github.com/coredns/coredns/plugin/template"
	_ "github.com/coredns/coredns/plugin/timeouts"
	_ "github.com/coredns/coredns/plugin/tls"
	_ "github.com/coredns/coredns/plugin/transfer"
	_ "github.com/coredns/coredns/plugin/tsig"
	_ "github.com/coredns/coredns/plugin/view"
	_ "github.com/coredns/coredns/plugin/whoami"

	"github.com/coredns/caddy"
)

// ours places this binary's own plugins in the chain, each right after a
// stock directive.
//
// Plugins earlier in the chain see our answers on the way out. So gslb comes
// after everything that wraps the response writer: cache, header, dnssec
// (which must be able to sign our answers) and minimal. It comes before
// everything that answers names itself (template, transfer, hosts, file, auto,
// secondary, forward, whoami), so `fallthrough` can hand names we do not hold
// to them, e.g. static records of the zone served by `file`.
//
// gslbmetrics takes the place of the stock prometheus plugin: it must see
// every query and response of the block, so it comes first among the plugins
// that handle queries (errors, log, acl, cache, ... follow it).
var ours = []struct{ name, after string }{
	{"gslb", "minimal"},
	{"gslbmetrics", "prometheus"},
}

func directives(stock []string, registered func(string) bool) []string {
	isOurs := func(d string) bool {
		return slices.ContainsFunc(ours, func(o struct{ name, after string }) bool { return o.name == d })
	}
	var out []string
	for _, d := range stock {
		if isOurs(d) || !registered(d) {
			continue
		}
		out = append(out, d)
		for _, o := range ours {
			if o.after == d {
				out = append(out, o.name)
			}
		}
	}
	return out
}

func main() {
	stackStart := stackStartFlag()
	flag.Parse() // CoreDNS's flags too: coremain.Run parses them again
	if err := holdStackStart(*stackStart); err != nil {
		fmt.Fprintln(os.Stderr, "coredns-gslb: -stack-start:", err)
		os.Exit(2)
	}
	// Caddy lists this binary's plugins as "dns.<name>".
	var names []string
	for _, n := range caddy.ListPlugins()["others"] {
		names = append(names, strings.TrimPrefix(n, "dns."))
	}
	registered := func(d string) bool { return slices.Contains(names, d) }
	if err := dnsserver.SetDirectives(directives(dnsserver.Directives, registered)); err != nil {
		fmt.Fprintln(os.Stderr, "coredns-gslb:", err)
		os.Exit(1)
	}
	coremain.Run()
}
