package gslbmetrics

import (
	"sync/atomic"

	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin/metrics/vars"
	"github.com/coredns/coredns/plugin/pkg/rcode"
	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
)

// The counters are the children of CoreDNS's own metric vectors
// (plugin/metrics/vars), so /metrics shows the standard names, help and
// labels, and nothing can clash with them. A child is looked up by its label
// values once, on first use, and kept in a fixed slot: a query indexes the
// slot and adds one, without hashing labels.

// Query types with a label of their own: the stock plugin's list; any other
// type counts as "other".
var monitoredTypes = [...]uint16{
	dns.TypeA, dns.TypeAAAA, dns.TypeCNAME, dns.TypeDNSKEY, dns.TypeDS, dns.TypeMX,
	dns.TypeNSEC3, dns.TypeNSEC, dns.TypeNS, dns.TypePTR, dns.TypeRRSIG, dns.TypeSOA,
	dns.TypeSRV, dns.TypeTXT, dns.TypeHTTPS, dns.TypeSVCB, dns.TypeIXFR, dns.TypeAXFR, dns.TypeANY,
}

const (
	numTypes  = len(monitoredTypes) + 1 // the last is "other"
	numRcodes = 24                      // rcodes 0..23 have slots; others are counted directly
)

// typeIndex maps a query type to its slot.
func typeIndex(t uint16) int {
	for i, m := range monitoredTypes {
		if m == t {
			return i
		}
	}
	return numTypes - 1
}

func typeLabel(i int) string {
	if i == numTypes-1 {
		return "other"
	}
	return dns.TypeToString[monitoredTypes[i]]
}

// Protocols and address families, as labelled by the stock plugin.
var (
	protoLabels  = [2]string{"udp", "tcp"}
	familyLabels = [2]string{"1", "2"}
)

type counterSlot struct {
	p atomic.Pointer[prometheus.Counter]
}

type observerSlot struct {
	p atomic.Pointer[prometheus.Observer]
}

// site holds the counters of one server (listen address) of the block.
type site struct {
	server *dnsserver.Server
	zones  []*zoneCells // parallel to Metrics.zones
}

// zoneCells are the counters of one zone on one server.
type zoneCells struct {
	server, zone, view string
	plugins            []string

	requests  [2][2][numTypes]counterSlot // proto, family, type
	responses []counterSlot               // rcode*(len(plugins)+1) + plugin slot
	do        counterSlot
	duration  observerSlot
	reqSize   [2]observerSlot // proto
	respSize  [2]observerSlot // proto
}

func newSite(srv *dnsserver.Server, addr string, zones []string, b blockInfo) *site {
	s := &site{server: srv}
	for _, z := range zones {
		s.zones = append(s.zones, &zoneCells{
			server: addr, zone: z, view: b.view, plugins: b.plugins,
			responses: make([]counterSlot, numRcodes*(len(b.plugins)+1)),
		})
	}
	return s
}

// pluginSlot maps the name of the plugin that wrote the response to its slot.
func (z *zoneCells) pluginSlot(name string) int {
	if name == "" {
		return 0
	}
	for i, p := range z.plugins {
		if p == name {
			return i + 1
		}
	}
	return -1
}

func (z *zoneCells) request(proto, fam, qt int) prometheus.Counter {
	slot := &z.requests[proto][fam][qt]
	if p := slot.p.Load(); p != nil {
		return *p
	}
	return fill(&slot.p, vars.RequestCount.WithLabelValues(z.server, z.zone, z.view, protoLabels[proto], familyLabels[fam], typeLabel(qt)))
}

func (z *zoneCells) doRequest() prometheus.Counter {
	if p := z.do.p.Load(); p != nil {
		return *p
	}
	return fill(&z.do.p, vars.RequestDo.WithLabelValues(z.server, z.zone, z.view))
}

// response counts one response. Rare rcodes and unknown plugin names take
// the slow path of a label lookup.
func (z *zoneCells) response(rc int, plugin string) {
	ps := z.pluginSlot(plugin)
	if rc < 0 || rc >= numRcodes || ps < 0 {
		vars.ResponseRcode.WithLabelValues(z.server, z.zone, z.view, rcode.ToString(rc), plugin).Inc()
		return
	}
	slot := &z.responses[rc*(len(z.plugins)+1)+ps]
	if p := slot.p.Load(); p != nil {
		(*p).Inc()
		return
	}
	fill(&slot.p, vars.ResponseRcode.WithLabelValues(z.server, z.zone, z.view, rcode.ToString(rc), plugin)).Inc()
}

func (z *zoneCells) durationObserver() prometheus.Observer {
	if p := z.duration.p.Load(); p != nil {
		return *p
	}
	return fill(&z.duration.p, vars.RequestDuration.WithLabelValues(z.server, z.zone, z.view))
}

func (z *zoneCells) requestSize(proto int) prometheus.Observer {
	if p := z.reqSize[proto].p.Load(); p != nil {
		return *p
	}
	return fill(&z.reqSize[proto].p, vars.RequestSize.WithLabelValues(z.server, z.zone, z.view, protoLabels[proto]))
}

func (z *zoneCells) responseSize(proto int) prometheus.Observer {
	if p := z.respSize[proto].p.Load(); p != nil {
		return *p
	}
	return fill(&z.respSize[proto].p, vars.ResponseSize.WithLabelValues(z.server, z.zone, z.view, protoLabels[proto]))
}

// fill stores v in an empty slot. Two queries may race to fill one slot:
// both looked up the same child of the vector, so either store is right.
func fill[T any](p *atomic.Pointer[T], v T) T {
	p.Store(&v)
	return v
}
