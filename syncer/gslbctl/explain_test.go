package gslbctl

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"

	"github.com/miekg/dns"
)

func routedRecord(alg gslbv1.Algorithm) *gslbv1.Record {
	return &gslbv1.Record{
		Fqdn: "hello.avi.iberia.local.", Algorithm: alg, Origin: "file members.yaml",
		Members: []*gslbv1.Member{
			{Address: "127.0.0.11", Weight: 6, Cluster: "s1az1", Site: "SITE1"},
			{Address: "127.0.0.12", Weight: 4, Cluster: "s1az2", Site: "SITE1"},
			{Address: "127.0.0.13", Weight: 2, Cluster: "s2", Site: "SITE2"},
			{Address: "2001:db8::13", Weight: 2, Cluster: "s2", Site: "SITE2"},
		},
		Routing: &gslbv1.Routing{
			Topology:  []*gslbv1.ClientNetwork{{Cidr: "192.0.2.0/24", Site: "SITE1"}, {Cidr: "192.0.0.0/16", Site: "SITE2"}},
			SiteOrder: []string{"SITE2", "SITE1"},
			Locations: []*gslbv1.SiteLocation{{Site: "SITE1", Latitude: 40.4, Longitude: -3.7}, {Site: "SITE2", Latitude: 50.1, Longitude: 8.7}},
		},
	}
}

type fixedLocator struct{ lat, lon float64 }

func (f fixedLocator) Locate(a netip.Addr) (float64, float64, netip.Prefix, bool) {
	return f.lat, f.lon, netip.MustParsePrefix("198.51.100.0/24"), true
}

func TestExplain(t *testing.T) {
	down := routedRecord(gslbv1.Algorithm_ALGORITHM_TOPOLOGY)
	down.Members[0].Health, down.Members[1].Health = gslbv1.Health_HEALTH_DOWN, gslbv1.Health_HEALTH_DOWN
	for _, tc := range []struct {
		name    string
		r       *gslbv1.Record
		client  string
		loc     Locator
		site    string
		answers []string
		why     string
	}{
		{"topology, longest match", routedRecord(gslbv1.Algorithm_ALGORITHM_TOPOLOGY), "192.0.2.10", nil,
			"SITE1", []string{"127.0.0.11", "127.0.0.12"}, "192.0.2.10 is in 192.0.2.0/24, which the topology map gives to SITE1"},
		{"topology, shorter match", routedRecord(gslbv1.Algorithm_ALGORITHM_TOPOLOGY), "192.0.7.0/24", nil,
			"SITE2", []string{"127.0.0.13"}, "is in 192.0.0.0/16, which the topology map gives to SITE2"},
		{"topology, no match: the order", routedRecord(gslbv1.Algorithm_ALGORITHM_TOPOLOGY), "203.0.113.1", nil,
			"SITE2", []string{"127.0.0.13"}, "no network of the topology map; site order: SITE2"},
		{"topology, its site down", down, "192.0.2.10", nil,
			"SITE2", []string{"127.0.0.13"}, "which has no healthy member; site order: SITE2"},
		{"geo", routedRecord(gslbv1.Algorithm_ALGORITHM_GEO), "198.51.100.7", fixedLocator{52.5, 13.4},
			"SITE2", []string{"127.0.0.13"}, "SITE2 is the nearest site with a healthy member (422 km)"},
		{"geo without a database", routedRecord(gslbv1.Algorithm_ALGORITHM_GEO), "198.51.100.7", nil,
			"SITE2", []string{"127.0.0.13"}, "give --geoip"},
		{"wrr", routedRecord(gslbv1.Algorithm_ALGORITHM_WRR), "192.0.2.10", nil,
			"", []string{"127.0.0.11", "127.0.0.12", "127.0.0.13"}, "every client alike"},
		{"consistent hash", routedRecord(gslbv1.Algorithm_ALGORITHM_CONSISTENT_HASH), "192.0.2.10", nil,
			"", nil, "the client prefix 192.0.2.0/24 hashes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client, _ := ParseSubnet(tc.client)
			e := Explain(tc.r, client, dns.TypeA, tc.loc)
			var got []string
			for _, a := range e.Answer {
				got = append(got, a.Member)
			}
			if e.Site != tc.site || (tc.answers != nil && strings.Join(got, " ") != strings.Join(tc.answers, " ")) || !strings.Contains(e.Why, tc.why) {
				t.Errorf("site %q answers %v why %q; want %q %v %q", e.Site, got, e.Why, tc.site, tc.answers, tc.why)
			}
			var out bytes.Buffer
			e.Print(&out)
			if !strings.Contains(out.String(), "from:      file members.yaml") || !strings.Contains(out.String(), "answer: ") {
				t.Errorf("print:\n%s", out.String())
			}
		})
	}
}

func TestExplainHashStable(t *testing.T) {
	r := routedRecord(gslbv1.Algorithm_ALGORITHM_CONSISTENT_HASH)
	a := Explain(r, netip.MustParsePrefix("192.0.2.1/32"), dns.TypeA, nil).Answer
	b := Explain(r, netip.MustParsePrefix("192.0.2.254/32"), dns.TypeA, nil).Answer
	if len(a) != 1 || len(b) != 1 || a[0].Member != b[0].Member {
		t.Errorf("one /24 hashed to %v and %v", a, b)
	}
}

func TestConfiguredFor(t *testing.T) {
	got, err := ConfiguredFor(routedRecord(gslbv1.Algorithm_ALGORITHM_TOPOLOGY), dns.TypeA, netip.MustParsePrefix("192.0.2.0/24"))
	if err != nil || len(got) != 2 || got[0].Weight != 6 || got[1].Weight != 4 {
		t.Errorf("ConfiguredFor = %v, %v; want SITE1's 6:4", got, err)
	}
	if _, err := ConfiguredFor(routedRecord(gslbv1.Algorithm_ALGORITHM_GEO), dns.TypeA, netip.MustParsePrefix("192.0.2.0/24")); err == nil {
		t.Error("geo: no error")
	}
}

func TestAddECS(t *testing.T) {
	m := new(dns.Msg)
	m.SetQuestion("a.example.", dns.TypeA)
	AddECS(m, netip.MustParsePrefix("192.0.2.77/24"))
	e := m.IsEdns0().Option[0].(*dns.EDNS0_SUBNET)
	if e.Family != 1 || e.SourceNetmask != 24 || e.Address.String() != "192.0.2.0" {
		t.Errorf("ECS %v", e)
	}
}
