package gslb

import (
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"

	"github.com/miekg/dns"
	"google.golang.org/protobuf/proto"
)

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
	g := newTestGSLB(f, testConfig(), nil)
	full(f, g, scenarioTable()...)
	f.Fuzz(func(t *testing.T, b []byte) {
		m := new(dns.Msg)
		if m.Unpack(b) != nil {
			return
		}
		resp, _ := serve(t, g, m)
		if resp != nil {
			if _, err := resp.Pack(); err != nil {
				t.Fatalf("reply does not pack: %v", err)
			}
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

// FuzzApplyChunk decodes arbitrary bytes as a push and applies it: it is
// refused or applied whole, never a panic, and an applied table answers.
func FuzzApplyChunk(f *testing.F) {
	seed, _ := proto.Marshal(&gslbv1.ApplyChunk{Header: &gslbv1.ApplyHeader{Kind: gslbv1.Kind_KIND_FULL}, Upserts: scenarioTable()})
	f.Add(seed)
	bad, _ := proto.Marshal(&gslbv1.ApplyChunk{Header: &gslbv1.ApplyHeader{Kind: gslbv1.Kind_KIND_FULL},
		Upserts: []*gslbv1.Record{rec("hello.avi.iberia.local", mem("1.2.3", 1))}})
	f.Add(bad)
	f.Add([]byte{0x0a, 0x02, 0x08, 0x02})
	f.Fuzz(func(t *testing.T, b []byte) {
		c := &gslbv1.ApplyChunk{}
		if proto.Unmarshal(b, c) != nil {
			return
		}
		g := newTestGSLB(t, testConfig(), nil)
		tb, err := g.feed.apply(c.GetHeader(), c.GetUpserts(), c.GetDeletes())
		if err != nil {
			if g.feed.table.Load() != nil {
				t.Fatal("a refused push installed a table")
			}
			return
		}
		tb.each(func(r *Record) {
			for _, qt := range []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeCNAME, dns.TypeMX} {
				m := new(dns.Msg)
				m.SetQuestion(r.name, qt)
				serve(t, g, m)
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
		fd := newFeed("fuzz", time.Now, runtimeRand{})
		fd.addZones([]string{zone})
		_ = fd.restore(s)
	})
}
