package gslb

import (
	"net"
	"net/netip"
	"strings"
	"testing"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"

	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"
	"google.golang.org/protobuf/proto"
)

func sited(m *gslbv1.Member, site string) *gslbv1.Member { m.Site = site; return m }

// topoRecord is the scenario's hello with its sites: s1az1 and s1az2 in
// SITE1, s2 in SITE2.
func topoRecord() *gslbv1.Record {
	r := rec("topo.avi.iberia.local",
		sited(mem("127.0.0.11", 6), "SITE1"), sited(mem("127.0.0.12", 4), "SITE1"), sited(mem("127.0.0.13", 2), "SITE2"),
		sited(mem("2001:db8::13", 1), "SITE2"))
	r.Algorithm = gslbv1.Algorithm_ALGORITHM_TOPOLOGY
	r.Routing = &gslbv1.Routing{
		Topology: []*gslbv1.ClientNetwork{
			{Cidr: "192.0.2.0/24", Site: "SITE1"}, {Cidr: "198.51.100.0/24", Site: "SITE2"},
			{Cidr: "10.0.0.0/8", Site: "SITE2"}, {Cidr: "2001:db8:2::/48", Site: "SITE2"},
		},
		SiteOrder: []string{"SITE1", "SITE2"},
	}
	return r
}

// ecsQuery is a query with an ECS option for the prefix.
func ecsQuery(name string, qtype uint16, prefix string) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.SetEdns0(1232, false)
	p := netip.MustParsePrefix(prefix)
	e := &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: 1, SourceNetmask: uint8(p.Bits()), Address: net.IP(p.Addr().AsSlice())}
	if p.Addr().Is6() {
		e.Family = 2
	}
	m.IsEdns0().Option = append(m.IsEdns0().Option, e)
	return m
}

// serveFrom runs one query from a client address.
func serveFrom(t *testing.T, g *GSLB, m *dns.Msg, from string) *dns.Msg {
	t.Helper()
	rw := dnstest.NewRecorder(&test.ResponseWriter{RemoteIP: from})
	if _, err := g.ServeDNS(t.Context(), rw, m); err != nil {
		t.Fatal(err)
	}
	if rw.Msg == nil {
		t.Fatal("no response written")
	}
	return rw.Msg
}

// answerECS returns the first answer's address and the response's ECS.
func answerECS(t *testing.T, m *dns.Msg) (string, *dns.EDNS0_SUBNET) {
	t.Helper()
	if m.Rcode != dns.RcodeSuccess || len(m.Answer) == 0 {
		t.Fatalf("no answer: %v", m)
	}
	var addr string
	switch rr := m.Answer[0].(type) {
	case *dns.A:
		addr = rr.A.String()
	case *dns.AAAA:
		addr = rr.AAAA.String()
	}
	return addr, responseECS(m)
}

func responseECS(m *dns.Msg) *dns.EDNS0_SUBNET {
	if o := m.IsEdns0(); o != nil {
		for _, e := range o.Option {
			if s, ok := e.(*dns.EDNS0_SUBNET); ok {
				return s
			}
		}
	}
	return nil
}

func TestTopology(t *testing.T) {
	const name = "topo.avi.iberia.local."
	for _, tc := range []struct {
		name   string
		query  *dns.Msg
		from   string
		want   []string // the answers of consecutive queries
		scope  int      // -1: no ECS in the response
		source int
	}{
		{"ECS in SITE1: WRR 6:4 within it", ecsQuery(name, dns.TypeA, "192.0.2.0/24"), "127.0.0.1",
			[]string{"127.0.0.11", "127.0.0.12", "127.0.0.11", "127.0.0.12", "127.0.0.11"}, 24, 24},
		{"ECS in SITE2", ecsQuery(name, dns.TypeA, "198.51.100.0/24"), "127.0.0.1",
			[]string{"127.0.0.13", "127.0.0.13"}, 24, 24},
		{"ECS in no network: the site order (SITE1)", ecsQuery(name, dns.TypeA, "203.0.113.0/24"), "127.0.0.1",
			[]string{"127.0.0.11", "127.0.0.12"}, 5, 24},
		{"a short ECS prefix: the scope may be longer", ecsQuery(name, dns.TypeA, "198.51.0.0/16"), "127.0.0.1",
			[]string{"127.0.0.11"}, 18, 16},
		{"IPv6 ECS, A query", ecsQuery(name, dns.TypeA, "2001:db8:2:100::/56"), "127.0.0.1",
			[]string{"127.0.0.13"}, 48, 56},
		{"IPv4 ECS, AAAA query", ecsQuery(name, dns.TypeAAAA, "198.51.100.0/24"), "127.0.0.1",
			[]string{"2001:db8::13"}, 24, 24},
		{"no ECS: the source address (10/8 is SITE2)", plainQuery(name, dns.TypeA), "10.240.0.1",
			[]string{"127.0.0.13"}, -1, 0},
		{"ECS source 0: the resolver's address, scope 0", ecsQuery(name, dns.TypeA, "0.0.0.0/0"), "10.240.0.1",
			[]string{"127.0.0.13"}, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newTestGSLB(t, testConfig(), nil)
			full(t, g, topoRecord())
			for i, want := range tc.want {
				got, ecs := answerECS(t, serveFrom(t, g, tc.query.Copy(), tc.from))
				if got != want {
					t.Errorf("query %d: answer %s, want %s", i+1, got, want)
				}
				switch {
				case tc.scope < 0 && ecs != nil:
					t.Errorf("ECS %v in the response to a query without one", ecs)
				case tc.scope >= 0 && ecs == nil:
					t.Errorf("no ECS in the response")
				case tc.scope >= 0 && (int(ecs.SourceScope) != tc.scope || int(ecs.SourceNetmask) != tc.source):
					t.Errorf("ECS source/scope %d/%d, want %d/%d", ecs.SourceNetmask, ecs.SourceScope, tc.source, tc.scope)
				}
			}
		})
	}
}

func TestTopologyFailover(t *testing.T) {
	const name = "topo.avi.iberia.local."
	g := newTestGSLB(t, testConfig(), nil)
	r := topoRecord()
	r.Members[2].Health = gslbv1.Health_HEALTH_DOWN // SITE2's IPv4 member
	full(t, g, r)
	// SITE2's clients get SITE1, the first of the order.
	for _, want := range []string{"127.0.0.11", "127.0.0.12"} {
		got, ecs := answerECS(t, serveFrom(t, g, ecsQuery(name, dns.TypeA, "198.51.100.0/24"), "127.0.0.1"))
		if got != want || ecs.SourceScope != 24 {
			t.Errorf("answer %s scope %d, want %s scope 24", got, ecs.SourceScope, want)
		}
	}
	// Priority first: SITE1 at a higher priority serves everyone.
	r = topoRecord()
	r.Members[0].Priority, r.Members[1].Priority = 10, 10
	full(t, g, r)
	if got, _ := answerECS(t, serveFrom(t, g, ecsQuery(name, dns.TypeA, "198.51.100.0/24"), "127.0.0.1")); got != "127.0.0.11" && got != "127.0.0.12" {
		t.Errorf("answer %s, want a SITE1 member (priority 10)", got)
	}
}

func TestECSEchoWRR(t *testing.T) {
	g := newTestGSLB(t, testConfig(), nil)
	full(t, g, scenarioTable()...)
	for _, q := range []*dns.Msg{
		ecsQuery("hello.avi.iberia.local.", dns.TypeA, "192.0.2.0/24"),
		ecsQuery("nope.avi.iberia.local.", dns.TypeA, "192.0.2.0/24"), // NXDOMAIN echoes too
	} {
		m := serveFrom(t, g, q, "127.0.0.1")
		ecs := responseECS(m)
		if ecs == nil || ecs.Family != 1 || ecs.SourceNetmask != 24 || ecs.SourceScope != 0 || !ecs.Address.Equal(net.ParseIP("192.0.2.0")) {
			t.Errorf("%s: ECS %v, want 192.0.2.0/24/0", q.Question[0].Name, ecs)
		}
	}
}

func TestECSTrust(t *testing.T) {
	const name = "topo.avi.iberia.local."
	cfg := testConfig()
	cfg.ecsTrust = ecsTrust{netip.MustParsePrefix("127.0.0.1/32")}
	g := newTestGSLB(t, cfg, nil)
	full(t, g, topoRecord())
	// From a trusted resolver, the ECS (SITE1) decides.
	if got, ecs := answerECS(t, serveFrom(t, g, ecsQuery(name, dns.TypeA, "192.0.2.0/24"), "127.0.0.1")); got != "127.0.0.11" || ecs == nil {
		t.Errorf("trusted: answer %s ECS %v, want 127.0.0.11 with ECS", got, ecs)
	}
	// From another, its own address (10/8: SITE2) decides and no ECS is echoed.
	if got, ecs := answerECS(t, serveFrom(t, g, ecsQuery(name, dns.TypeA, "192.0.2.0/24"), "10.240.0.1")); got != "127.0.0.13" || ecs != nil {
		t.Errorf("untrusted: answer %s ECS %v, want 127.0.0.13 without ECS", got, ecs)
	}
}

func TestECSMalformed(t *testing.T) {
	with := func(mod func(*dns.EDNS0_SUBNET)) *dns.Msg {
		m := ecsQuery("hello.avi.iberia.local.", dns.TypeA, "192.0.2.0/24")
		mod(m.IsEdns0().Option[0].(*dns.EDNS0_SUBNET))
		return m
	}
	twice := ecsQuery("hello.avi.iberia.local.", dns.TypeA, "192.0.2.0/24")
	twice.IsEdns0().Option = append(twice.IsEdns0().Option, twice.IsEdns0().Option[0])
	for name, q := range map[string]*dns.Msg{
		"scope in a query":       with(func(e *dns.EDNS0_SUBNET) { e.SourceScope = 24 }),
		"bits beyond prefix":     with(func(e *dns.EDNS0_SUBNET) { e.Address = net.ParseIP("192.0.2.1").To4() }),
		"v6 address, family 1":   with(func(e *dns.EDNS0_SUBNET) { e.Address = net.ParseIP("2001:db8::") }),
		"family 0 with a prefix": with(func(e *dns.EDNS0_SUBNET) { e.Family = 0 }),
		"unknown family":         with(func(e *dns.EDNS0_SUBNET) { e.Family = 3 }),
		"two ECS options":        twice,
	} {
		t.Run(name, func(t *testing.T) {
			g := newTestGSLB(t, testConfig(), nil)
			full(t, g, scenarioTable()...)
			m := serveFrom(t, g, q, "127.0.0.1")
			if m.Rcode != dns.RcodeFormatError || len(m.Answer) != 0 || responseECS(m) != nil {
				t.Errorf("rcode %s, %d answers, ECS %v; want FORMERR, nothing", dns.RcodeToString[m.Rcode], len(m.Answer), responseECS(m))
			}
		})
	}
}

func plainQuery(name string, qtype uint16) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	return m
}

func TestTopologyAnswersN(t *testing.T) {
	const name = "topo.avi.iberia.local."
	cfg := testConfig()
	cfg.answers = 3
	g := newTestGSLB(t, cfg, nil)
	full(t, g, topoRecord())
	for _, tc := range []struct{ ecs, want string }{
		{"192.0.2.0/24", "127.0.0.11 127.0.0.12"}, // SITE1's two, not SITE2's
		{"198.51.100.0/24", "127.0.0.13"},         // SITE2's only
	} {
		m := serveFrom(t, g, ecsQuery(name, dns.TypeA, tc.ecs), "127.0.0.1")
		var got []string
		for _, rr := range m.Answer {
			got = append(got, rr.(*dns.A).A.String())
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%s: answers %v, want %s", tc.ecs, got, tc.want)
		}
	}
}

func TestSameRecord(t *testing.T) {
	a := topoRecord()
	for name, mut := range map[string]func(*gslbv1.Record){
		"weight":          func(r *gslbv1.Record) { r.Members[1].Weight = 5 },
		"routing network": func(r *gslbv1.Record) { r.Routing.Topology[1].Site = "SITE1" },
		"site order":      func(r *gslbv1.Record) { r.Routing.SiteOrder = nil },
		"origin":          func(r *gslbv1.Record) { r.Origin = "file x.yaml" },
		"ttl":             func(r *gslbv1.Record) { r.Ttl = proto.Uint32(9) },
		"no routing":      func(r *gslbv1.Record) { r.Routing = nil },
	} {
		b := proto.CloneOf(a)
		if !sameRecord(a, b) {
			t.Fatalf("%s: a clone differs", name)
		}
		mut(b)
		if sameRecord(a, b) || sameRecord(b, a) {
			t.Errorf("%s: a changed record is the same", name)
		}
	}
}
