package gslb

import (
	"context"
	"net/netip"
	"strconv"
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"

	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"
)

const zone = "avi.iberia.local."

// fixedClock is a settable clock for tests.
type fixedClock struct{ t time.Time }

func (c *fixedClock) now() time.Time { return c.t }

// seqRand returns the numbers of a list in turn, for the random algorithm.
type seqRand struct {
	vals []uint32
	i    int
}

func (s *seqRand) Uint32N(n uint32) uint32 {
	v := s.vals[s.i%len(s.vals)] % n
	s.i++
	return v
}

// testConfig is the scenario's zone: SOA g-dns.iberia.local., one NS with glue.
func testConfig() *config {
	return &config{
		zones:   []string{zone},
		mname:   "g-dns.iberia.local.",
		rname:   "johernandez.iberia.local.",
		refresh: 10800, retry: 3600, expire: 86400, minimum: 30,
		ns:      []nsConfig{{name: "g-dns.iberia.local.", addrs: []netip.Addr{netip.MustParseAddr("192.0.2.53")}}},
		ttl:     30,
		answers: 1,
	}
}

// newTestGSLB returns a handler over a fresh feed (no listener), with the
// next plugin answering REFUSED so that hand-offs are visible.
func newTestGSLB(t testing.TB, cfg *config, rng Rand) *GSLB {
	t.Helper()
	clk := &fixedClock{t: time.Unix(1_700_000_000, 0)}
	if rng == nil {
		rng = runtimeRand{}
	}
	f := newFeed("test", clk.now)
	f.addZones(cfg.zones)
	g := newGSLB(cfg, f, rng)
	g.Next = test.NextHandler(dns.RcodeRefused, nil)
	return g
}

func full(t testing.TB, g *GSLB, recs ...*gslbv1.Record) *Table {
	t.Helper()
	tb, err := g.feed.apply(&gslbv1.ApplyHeader{Kind: gslbv1.Kind_KIND_FULL}, recs, nil)
	if err != nil {
		t.Fatalf("full apply: %v", err)
	}
	return tb
}

func rec(fqdn string, members ...*gslbv1.Member) *gslbv1.Record {
	return &gslbv1.Record{Fqdn: fqdn, Members: members}
}

func mem(addr string, weight uint32) *gslbv1.Member {
	return &gslbv1.Member{Address: addr, Weight: weight}
}

func host(name string, weight uint32) *gslbv1.Member {
	return &gslbv1.Member{Hostname: name, Weight: weight}
}

func down(m *gslbv1.Member) *gslbv1.Member { m.Health = gslbv1.Health_HEALTH_DOWN; return m }

func prio(m *gslbv1.Member, p uint32) *gslbv1.Member { m.Priority = p; return m }

// serve runs one query through the handler and returns the written reply
// (nil when nothing was written) and the returned rcode.
func serve(t testing.TB, g *GSLB, m *dns.Msg) (*dns.Msg, int) {
	t.Helper()
	rec := dnstest.NewRecorder(&test.ResponseWriter{})
	code, err := g.ServeDNS(context.Background(), rec, m)
	if err != nil {
		t.Fatalf("ServeDNS: %v", err)
	}
	return rec.Msg, code
}

// soaLine is the scenario's SOA with the given serial and TTL.
func soaLine(serial uint32, ttl int) *dns.SOA {
	return test.SOA(dnsLine(zone, ttl, "SOA g-dns.iberia.local. johernandez.iberia.local. "+strconv.Itoa(int(serial))+" 10800 3600 86400 30"))
}

func dnsLine(name string, ttl int, rest string) string {
	return name + " " + strconv.Itoa(ttl) + " IN " + rest
}
