package gslb

import (
	"encoding/binary"
	"net"
	"testing"

	"github.com/miekg/dns"
)

// BenchmarkAnswerEncoding is the experiment of a pre-packed answer (the
// performance issue asks to try one): the response to hello A with EDNS,
// built as the handler builds it (a dns.Msg packed by the server) and as
// bytes (the request's header and question, the member's A record packed
// once, an OPT record), with only the ID and flags patched. The difference
// is the most a pre-packed answer could save per query; see BENCHMARKS.md
// for why it was not kept.
func BenchmarkAnswerEncoding(b *testing.B) {
	req := new(dns.Msg)
	req.SetQuestion("Hello.avi.iberia.local.", dns.TypeA)
	req.SetEdns0(1232, false)
	a := &dns.A{Hdr: dns.RR_Header{Name: "Hello.avi.iberia.local.", Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 2}, A: net.IPv4(127, 0, 0, 11).To4()}

	b.Run("msg", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 512)
		for b.Loop() {
			m := new(dns.Msg)
			m.SetReply(req)
			m.Authoritative = true
			m.Answer = []dns.RR{a}
			m.SetEdns0(1232, false)
			out, err := m.PackBuffer(buf)
			if err != nil || len(out) == 0 {
				b.Fatal(err)
			}
		}
	})

	b.Run("prepacked", func(b *testing.B) {
		wire, err := req.Pack()
		if err != nil {
			b.Fatal(err)
		}
		qEnd := 12 + len("Hello.avi.iberia.local.") + 1 + 4 // header, name, type and class
		// The A record, its owner a pointer to the question's name (0xC00C).
		rr := []byte{0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 2, 0, 4, 127, 0, 0, 11}
		opt := []byte{0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 0} // root, OPT, 1232, no flags, no options
		buf := make([]byte, 0, 512)
		b.ReportAllocs()
		for b.Loop() {
			out := append(buf[:0], wire[:qEnd]...)
			binary.BigEndian.PutUint16(out[2:], 0x8400|uint16(wire[2]&0x01)<<8) // QR, AA, RD copied
			binary.BigEndian.PutUint16(out[6:], 1)                              // ANCOUNT
			binary.BigEndian.PutUint16(out[8:], 0)                              // NSCOUNT
			binary.BigEndian.PutUint16(out[10:], 1)                             // ARCOUNT: OPT
			out = append(out, rr...)
			out = append(out, opt...)
			if len(out) == 0 {
				b.Fatal("empty")
			}
		}
		// The bytes are a valid answer equal to the packed message's.
		out := append(buf[:0], wire[:qEnd]...)
		binary.BigEndian.PutUint16(out[2:], 0x8400|uint16(wire[2]&0x01)<<8)
		binary.BigEndian.PutUint16(out[6:], 1)
		binary.BigEndian.PutUint16(out[10:], 1)
		out = append(append(out, rr...), opt...)
		var got dns.Msg
		if err := got.Unpack(out); err != nil || len(got.Answer) != 1 || got.Answer[0].String() != a.String() || got.IsEdns0() == nil || !got.Authoritative {
			b.Fatalf("pre-packed answer %v (%v)", &got, err)
		}
	})
}
