package gslb

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"

	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"
	"google.golang.org/protobuf/proto"
)

// benchClients are 4096 client /24s spread over the IPv4 space.
func benchClients() []netip.Addr {
	out := make([]netip.Addr, 4096)
	for i := range out {
		out[i] = netip.AddrFrom4([4]byte{byte(i * 7), byte(i >> 4), byte(i), 0})
	}
	return out
}

// benchRouting is a record of each algorithm over the scenario's members,
// with a 1,000-network topology map (the first three quarters of the
// benchClients mapped to a site).
func benchRouting(alg gslbv1.Algorithm) *gslbv1.Record {
	r := rec("hello.avi.iberia.local",
		sited(mem("127.0.0.11", 6), "SITE1"), sited(mem("127.0.0.12", 4), "SITE1"), sited(mem("127.0.0.13", 2), "SITE2"))
	r.Algorithm = alg
	rt := &gslbv1.Routing{SiteOrder: []string{"SITE1", "SITE2"},
		Locations: []*gslbv1.SiteLocation{{Site: "SITE1", Latitude: 40.4, Longitude: -3.7}, {Site: "SITE2", Latitude: 50.1, Longitude: 8.7}}}
	for i, a := range benchClients()[:1000] {
		site := "SITE1"
		if i%2 == 1 {
			site = "SITE2"
		}
		rt.Topology = append(rt.Topology, &gslbv1.ClientNetwork{Cidr: netip.PrefixFrom(a, 24).String(), Site: site})
	}
	r.Routing = rt
	return r
}

// BenchmarkLookupPickRouting is BenchmarkLookupPick for every algorithm,
// each query from another client /24 (as with ECS). It must not allocate.
func BenchmarkLookupPickRouting(b *testing.B) {
	dir := b.TempDir()
	var places []place
	for i, a := range benchClients()[:2000] {
		places = append(places, place{CIDR: netip.PrefixFrom(a, 24).String(), Lat: float64(i%180 - 90), Lon: float64(i%360 - 180), Located: true})
	}
	writeGeoDB(b, filepath.Join(dir, "city.mmdb"), places...)
	db, err := openGeoDB(filepath.Join(dir, "city.mmdb"), time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	clients := benchClients()
	for _, alg := range []gslbv1.Algorithm{
		gslbv1.Algorithm_ALGORITHM_WRR, gslbv1.Algorithm_ALGORITHM_RANDOM, gslbv1.Algorithm_ALGORITHM_TOPOLOGY,
		gslbv1.Algorithm_ALGORITHM_GEO, gslbv1.Algorithm_ALGORITHM_CONSISTENT_HASH,
	} {
		b.Run(alg.String(), func(b *testing.B) {
			g := newTestGSLB(b, testConfig(), nil)
			g.geo = db
			full(b, g, append(bigTable(10_000), benchRouting(alg))...)
			t := g.feed.table.Load()
			qname := "Hello.avi.iberia.local."
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				var buf [maxNameLen]byte
				l, _ := lowerName(&buf, qname)
				if g.matchZone(l) < 0 {
					b.Fatal("no zone")
				}
				r, _ := t.lookup(l)
				c := client{addr: clients[i%len(clients)], bits: 24}
				set := &r.fam[famV4]
				set.cands[g.choose(r, set, &c)].stat.answers.Add(1)
			}
		})
	}
}

// BenchmarkServeDNSECS is one ECS query through the handler, message and
// ECS echo included, for every algorithm.
func BenchmarkServeDNSECS(b *testing.B) {
	for _, alg := range []gslbv1.Algorithm{gslbv1.Algorithm_ALGORITHM_WRR, gslbv1.Algorithm_ALGORITHM_TOPOLOGY, gslbv1.Algorithm_ALGORITHM_CONSISTENT_HASH} {
		b.Run(alg.String(), func(b *testing.B) {
			g := newTestGSLB(b, testConfig(), nil)
			full(b, g, benchRouting(alg))
			m := ecsQuery("hello.avi.iberia.local.", dns.TypeA, "192.0.2.0/24")
			w := &test.ResponseWriter{}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				g.ServeDNS(ctx, dnstest.NewRecorder(w), m)
			}
		})
	}
}

// BenchmarkApplyFullRouted is a whole-table push of 10,000 TOPOLOGY records
// sharing one 1,000-network map (each record carries it, as pushed): the
// cost of recognising equal maps and compiling one.
func BenchmarkApplyFullRouted(b *testing.B) {
	rt := benchRouting(gslbv1.Algorithm_ALGORITHM_TOPOLOGY).Routing
	var recs []*gslbv1.Record
	for i := range 10_000 {
		r := rec(fmt.Sprintf("app-%d.avi.iberia.local", i), sited(mem("127.0.0.11", 6), "SITE1"), sited(mem("127.0.0.13", 2), "SITE2"))
		r.Algorithm, r.Routing = gslbv1.Algorithm_ALGORITHM_TOPOLOGY, proto.CloneOf(rt)
		recs = append(recs, r)
	}
	for _, fresh := range []bool{true, false} {
		name := "unchanged" // the same records again: each compared with its predecessor
		if fresh {
			name = "from-scratch"
		}
		b.Run(name, func(b *testing.B) {
			g := newTestGSLB(b, testConfig(), nil)
			full(b, g, recs...)
			b.ReportAllocs()
			for b.Loop() {
				if fresh {
					g.feed.table.Store(nil)
				}
				full(b, g, recs...)
			}
		})
	}
}
