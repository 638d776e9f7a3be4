// Package gslb is a CoreDNS plugin for global server load balancing: it is
// authoritative for its zones and answers each GSLB name with members chosen
// by weight and priority among the healthy ones, from a table that
// gslb-syncer (or any client of the gslb.v1 gRPC API) pushes to it.
package gslb

import (
	"net/netip"

	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/pkg/fall"
	"github.com/miekg/dns"
)

// GSLB is the handler of one server block.
type GSLB struct {
	Next plugin.Handler
	Fall fall.F

	zones     []string // canonical, longest first
	zoneData  []*zoneData
	ttl       uint32 // default TTL, and the TTL of SOA and NS
	answers   int    // address records per response
	unhandled unhandledMode
	transfer  bool // the transfer plugin follows in the chain: AXFR and IXFR go to it

	feed *feed
	rng  Rand
	geo  *geoDB   // nil: no GeoIP database (GEO records fall back)
	ecs  ecsTrust // resolvers whose ECS is used; empty: all
}

// zoneData is what the handler needs of one zone, built at setup.
type zoneData struct {
	name  string
	soa   dns.SOA // template; the serial is the table version
	ns    []dns.RR
	glue  []dns.RR          // A/AAAA of the NS names, for the additional section
	hosts map[string][]nsRR // in-zone NS names and their addresses
	stats *zoneStats
	// signer: the zone is signed by the gslb option dnssec (nil: unsigned).
	signer *zoneSigner
}

type nsRR struct {
	addr netip.Addr
	rr   dns.RR
}

// unhandledMode is the answer for a name in the zone that the table does not hold.
type unhandledMode uint8

const (
	unhandledNXDomain unhandledMode = iota // NXDOMAIN with the SOA (the default)
	unhandledRefused                       // REFUSED
	unhandledDrop                          // no answer at all (clients stall: opt-in only)
)

// Name implements plugin.Handler.
func (g *GSLB) Name() string { return "gslb" }

// Ready implements ready.Readiness: ready once a table is loaded, from a push
// or from the persist file.
func (g *GSLB) Ready() bool { return g.feed.table.Load() != nil }
