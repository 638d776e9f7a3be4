// Command coredns-gslb is CoreDNS with the gslb plugin and a curated set of
// stock plugins: the ones a GSLB name server uses (serving, observing,
// securing, forwarding what is not ours), without the cloud and cluster
// backends (route53, azure, clouddns, kubernetes, etcd, nomad) and tracing
// exporters that make up most of a stock build's size.
package main

import (
	"fmt"
	"os"
	"slices"
	"strings"

	_ "github.com/gslbdns/gslb/plugin/gslb"

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

// gslbAfter is the directive gslb follows in the plugin chain.
//
// Plugins earlier in the chain see our answers on the way out. So gslb comes
// after everything that wraps the response writer: cache, header, dnssec
// (which must be able to sign our answers) and minimal. It comes before
// everything that answers names itself (template, transfer, hosts, file, auto,
// secondary, forward, whoami), so `fallthrough` can hand names we do not hold
// to them, e.g. static records of the zone served by `file`.
const gslbAfter = "minimal"

func directives(stock []string, registered func(string) bool) []string {
	var out []string
	for _, d := range stock {
		if d == "gslb" || !registered(d) {
			continue
		}
		out = append(out, d)
		if d == gslbAfter {
			out = append(out, "gslb")
		}
	}
	return out
}

func main() {
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
