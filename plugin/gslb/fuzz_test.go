package gslb

import (
	"strings"
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"

	"github.com/coredns/caddy"
	"github.com/miekg/dns"
	"google.golang.org/protobuf/proto"
)

// The fuzz targets run their seeds under plain go test; `make fuzz` runs
// each for FUZZTIME. A crasher found is kept in testdata/fuzz/<target>/ and
// so becomes a seed of every later run.

// FuzzServeDNS feeds arbitrary packets to the handler: whatever unpacks must
// be answered (or handed on) without a panic.
func FuzzServeDNS(f *testing.F) {
	for _, q := range []struct {
		name  string
		qtype uint16
	}{
		{"hello.avi.iberia.local.", dns.TypeA}, {"HELLO.avi.iberia.local.", dns.TypeAAAA},
		{"avi.iberia.local.", dns.TypeSOA}, {"avi.iberia.local.", dns.TypeNS}, {"x.y.avi.iberia.local.", dns.TypeANY},
		{"alias.avi.iberia.local.", dns.TypeCNAME}, {"b.deep.avi.iberia.local.", dns.TypeMX}, {"example.org.", dns.TypeA},
		{`a\.b.avi.iberia.local.`, dns.TypeA}, {`\065.avi.iberia.local.`, dns.TypeA},
	} {
		m := new(dns.Msg)
		m.SetQuestion(q.name, q.qtype)
		m.SetEdns0(1232, true)
		b, _ := m.Pack()
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add(make([]byte, 12))
	two := new(dns.Msg)
	two.SetQuestion("hello.avi.iberia.local.", dns.TypeA)
	two.SetEdns0(1232, false)
	two.Extra = append(two.Extra, two.Extra[0])
	b, _ := two.Pack()
	f.Add(b)
	g := newTestGSLB(f, testConfig(), nil)
	full(f, g, append(scenarioTable(), chainTable()...)...)
	f.Fuzz(func(t *testing.T, b []byte) {
		m := new(dns.Msg)
		if m.Unpack(b) != nil {
			return // CoreDNS's server answers FORMERR: the plugin never sees it
		}
		resp, code := serve(t, g, m)
		if resp == nil {
			return
		}
		if _, err := resp.Pack(); err != nil {
			t.Fatalf("reply does not pack: %v", err)
		}
		if resp.Id != m.Id || !resp.Response || resp.Rcode != code {
			t.Fatalf("reply id %d response %v rcode %d, returned %d; query id %d", resp.Id, resp.Response, resp.Rcode, code, m.Id)
		}
		if len(resp.Answer) > maxChase+2+maxAnswers {
			t.Fatalf("%d answers", len(resp.Answer))
		}
	})
}

// chainTable adds in-zone CNAME chains to the fuzzed table.
func chainTable() []*gslbv1.Record {
	return []*gslbv1.Record{
		rec("c1.avi.iberia.local", host("c2.avi.iberia.local", 1), mem("192.0.2.81", 1)),
		rec("c2.avi.iberia.local", host("hello.avi.iberia.local", 1), host("v6.avi.iberia.local", 1)),
		rec("c3.avi.iberia.local", host("downsf.avi.iberia.local", 1)),
	}
}

// FuzzCorefile parses arbitrary gslb stanzas: an error names the Corefile
// line, anything accepted builds a handler that answers its apex.
func FuzzCorefile(f *testing.F) {
	f.Add("gslb avi.iberia.local {\n soa g-dns.iberia.local. h.iberia.local. refresh 1 retry 2 expire 3 minimum 4\n ns g-dns.iberia.local. 192.0.2.53 2001:db8::53\n ttl 2\n answers 3\n unhandled refused\n persist /var/lib/gslb/t.pb\n fallthrough example.org\n}")
	f.Add("gslb {\n listen tcp://127.0.0.1:9443\n tls a b c\n}")
	f.Add("gslb . {\n ns ns1.\n unhandled drop\n listen unix:///run/x.sock\n}")
	f.Add("gslb\ngslb")
	f.Add("gslb a. b. {\n soa a. b. minimum 99999999999\n answers 65\n ttl -1\n}")
	f.Fuzz(func(t *testing.T, input string) {
		c := caddy.NewTestController("dns", input)
		c.ServerBlockKeys = []string{"avi.iberia.local."}
		cfg, _, err := parse(c)
		if err != nil {
			if !strings.Contains(err.Error(), "Testfile:") {
				t.Fatalf("error without the Corefile line: %v", err)
			}
			return
		}
		if len(cfg.zones) == 0 {
			return // no gslb stanza at all
		}
		g := newGSLB(cfg, newFeed("fuzz", time.Now), runtimeRand{})
		for _, z := range g.zones {
			m := new(dns.Msg)
			m.SetQuestion(z, dns.TypeNS)
			serve(t, g, m)
		}
	})
}

// FuzzQuestion drives names the wire format cannot carry (over-long,
// unescaped) straight into the handler.
func FuzzQuestion(f *testing.F) {
	f.Add("hello.avi.iberia.local.", uint16(dns.TypeA))
	f.Add("", uint16(0))
	f.Add(".", uint16(dns.TypeSOA))
	f.Add("..avi.iberia.local", uint16(dns.TypeA))
	g := newTestGSLB(f, testConfig(), nil)
	full(f, g, scenarioTable()...)
	f.Fuzz(func(t *testing.T, name string, qtype uint16) {
		m := &dns.Msg{Question: []dns.Question{{Name: name, Qtype: qtype, Qclass: dns.ClassINET}}}
		serve(t, g, m)
	})
}

// FuzzApplyChunk decodes arbitrary bytes as a push and applies it, as a
// FULL from nothing or as a change to the scenario's table (a DELTA gets the
// current version as its base): it is refused or applied whole, never a
// panic; a refused push leaves the table as it was, a DELTA that changes
// nothing keeps the version, and every record of an applied table answers.
func FuzzApplyChunk(f *testing.F) {
	seed, _ := proto.Marshal(&gslbv1.ApplyChunk{Header: &gslbv1.ApplyHeader{Kind: gslbv1.Kind_KIND_FULL}, Upserts: scenarioTable()})
	f.Add(seed, false)
	bad, _ := proto.Marshal(&gslbv1.ApplyChunk{Header: &gslbv1.ApplyHeader{Kind: gslbv1.Kind_KIND_FULL},
		Upserts: []*gslbv1.Record{rec("hello.avi.iberia.local", mem("1.2.3", 1))}})
	f.Add(bad, false)
	f.Add([]byte{0x0a, 0x02, 0x08, 0x02}, true)
	loop, _ := proto.Marshal(&gslbv1.ApplyChunk{Header: &gslbv1.ApplyHeader{Kind: gslbv1.Kind_KIND_DELTA},
		Upserts: []*gslbv1.Record{rec("test.avi.iberia.local", host("alias.avi.iberia.local", 1))}, Deletes: []string{"nope.avi.iberia.local"}})
	f.Add(loop, true)
	f.Add(append(seed, loop...), true)
	f.Fuzz(func(t *testing.T, b []byte, loaded bool) {
		c := &gslbv1.ApplyChunk{}
		if proto.Unmarshal(b, c) != nil {
			return
		}
		g := newTestGSLB(t, testConfig(), nil)
		if loaded {
			full(t, g, append(scenarioTable(), chainTable()...)...)
		}
		before := g.feed.table.Load()
		h := c.GetHeader()
		if h.GetKind() == gslbv1.Kind_KIND_DELTA && before != nil {
			h.BaseVersion = before.Version()
		}
		tb, err := g.feed.apply(h, c.GetUpserts(), c.GetDeletes())
		if err != nil {
			if g.feed.table.Load() != before {
				t.Fatal("a refused push changed the table")
			}
			return
		}
		if h.GetKind() == gslbv1.Kind_KIND_DELTA && (tb == before) != (tb.Version() == before.Version()) {
			t.Fatalf("version %d -> %d, table replaced: %v", before.Version(), tb.Version(), tb != before)
		}
		tb.each(func(r *Record) {
			for _, qt := range []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeCNAME, dns.TypeMX} {
				m := new(dns.Msg)
				m.SetQuestion(r.name, qt)
				if resp, _ := serve(t, g, m); resp != nil && len(resp.Answer) > maxChase+maxAnswers+1 {
					t.Fatalf("%s: %d answers", r.name, len(resp.Answer))
				}
			}
		})
	})
}

// FuzzSnapshot decodes arbitrary persist files.
func FuzzSnapshot(f *testing.F) {
	f.Add([]byte("GSLBTBL1"))
	f.Add(append([]byte("GSLBTBL1"), make([]byte, 12)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := decodeSnapshot(b)
		if err != nil {
			return
		}
		fd := newFeed("fuzz", time.Now)
		fd.addZones([]string{zone})
		_ = fd.restore(s)
	})
}
