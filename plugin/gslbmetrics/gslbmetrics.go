// Package gslbmetrics is a CoreDNS plugin that serves Prometheus metrics
// without the per-query cost of the stock prometheus plugin: it counts
// CoreDNS's standard coredns_dns_requests_total, coredns_dns_responses_total
// and coredns_dns_do_requests_total with one atomic add each, and observes
// the duration and size histograms for a sample of the queries only. It
// serves the process's default registry: gslb's coredns_gslb_* series, the Go
// and process collectors, coredns_build_info and every other plugin's series.
package gslbmetrics

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin"
)

// Metrics is the handler of one server block.
type Metrics struct {
	Next plugin.Handler

	addr   string      // listen address of /metrics
	zones  []string    // the server block's zones, the zone label's values
	sample func() bool // whether this query feeds the histograms

	// Set at startup from the server block: whether to count (not when the
	// stock prometheus plugin already counts in this block), the view, and
	// the plugin label's values.
	counting atomic.Bool
	mu       sync.Mutex // serialises adding a site
	block    blockInfo  // guarded by mu
	sites    atomic.Pointer[[]*site]

	pool sync.Pool // of *recorder
}

// blockInfo is what the counters need to know of the server block.
type blockInfo struct {
	view    string
	plugins []string // the block's plugins; index+1 is the plugin slot, 0 is ""
}

// Name implements plugin.Handler.
func (m *Metrics) Name() string { return "gslbmetrics" }

// site returns the counters of the server (listen address) that received the
// query, creating them on its first query.
func (m *Metrics) site(srv *dnsserver.Server) *site {
	if p := m.sites.Load(); p != nil {
		for _, s := range *p {
			if s.server == srv {
				return s
			}
		}
	}
	return m.addSite(srv)
}

func (m *Metrics) addSite(srv *dnsserver.Server) *site {
	m.mu.Lock()
	defer m.mu.Unlock()
	var old []*site
	if p := m.sites.Load(); p != nil {
		old = *p
		for _, s := range old {
			if s.server == srv {
				return s
			}
		}
	}
	addr := ""
	if srv != nil {
		addr = srv.Addr
	}
	s := newSite(srv, addr, m.zones, m.block)
	sites := append(append(make([]*site, 0, len(old)+1), old...), s)
	m.sites.Store(&sites)
	return s
}

// zoneIndex returns the index of the most specific zone holding qname, or -1.
func (m *Metrics) zoneIndex(qname string) int {
	best := -1
	for i, z := range m.zones {
		if inZone(qname, z) && (best < 0 || len(z) > len(m.zones[best])) {
			best = i
		}
	}
	return best
}

// inZone reports whether the fully qualified name lies in zone (canonical:
// lower case, with the final dot), comparing ASCII case-insensitively and
// without allocating, unlike dns.IsSubDomain.
func inZone(name, zone string) bool {
	if zone == "." {
		return true
	}
	n := len(name) - len(zone)
	if n < 0 || !strings.EqualFold(name[n:], zone) {
		return false
	}
	return n == 0 || name[n-1] == '.'
}

// setBlock records what the counters need of the server block; it runs at
// startup, before the first query.
func (m *Metrics) setBlock(b blockInfo, counting bool) {
	m.mu.Lock()
	m.block = b
	m.sites.Store(nil)
	m.mu.Unlock()
	m.counting.Store(counting)
}
