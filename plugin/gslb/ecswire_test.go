package gslb

import (
	"encoding/binary"
	"testing"

	"github.com/miekg/dns"
)

// ecsWire is the wire form of an A query for hello with a cookie and an ECS
// option for 192.0.2.0/24 last, its ADDRESS resized to octets (3 is right;
// the extra octets are zero, so only their number is wrong),
// unpacked as CoreDNS's server unpacks it.
func ecsWire(t *testing.T, octets int) *dns.Msg {
	t.Helper()
	q := ecsQuery("hello.avi.iberia.local.", dns.TypeA, "192.0.2.0/24")
	opt := q.IsEdns0()
	opt.Option = append([]dns.EDNS0{&dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: "0102030405060708"}}, opt.Option...)
	b, err := q.Pack()
	if err != nil {
		t.Fatal(err)
	}
	// The ECS option ends the message: code, length, family, source,
	// scope, 3 address octets; the OPT's RDLENGTH precedes the cookie.
	const ecsData, cookieOpt = 4 + 3, 4 + 8
	rdlen := len(b) - ecsData - 4 - cookieOpt - 2
	optLen := len(b) - ecsData - 2
	b = b[:len(b)-3]
	for i := range octets {
		b = append(b, []byte{192, 0, 2, 0, 0, 0, 0}[i])
	}
	binary.BigEndian.PutUint16(b[optLen:], uint16(4+octets))
	binary.BigEndian.PutUint16(b[rdlen:], uint16(cookieOpt+4+4+octets))
	m := new(dns.Msg)
	if err := m.Unpack(b); err != nil {
		t.Fatalf("unpack %d octets: %v", octets, err)
	}
	return m
}

// RFC 7871 section 6: an ADDRESS with more or fewer octets than the source
// prefix needs is FORMERR, though the DNS library unpacks it into a whole
// address. Each FORMERR is counted.
func TestECSAddressLengthFromWire(t *testing.T) {
	g := newTestGSLB(t, testConfig(), nil)
	full(t, g, scenarioTable()...)
	for _, tc := range []struct {
		octets int
		want   int
	}{
		{3, dns.RcodeSuccess},
		{7, dns.RcodeFormatError},
		{4, dns.RcodeFormatError},
		{2, dns.RcodeFormatError},
		{0, dns.RcodeFormatError},
	} {
		m := serveFrom(t, g, ecsWire(t, tc.octets), "127.0.0.1")
		if m.Rcode != tc.want {
			t.Errorf("%d address octets for /24: rcode %s, want %s", tc.octets, dns.RcodeToString[m.Rcode], dns.RcodeToString[tc.want])
			continue
		}
		ecs := responseECS(m)
		switch {
		case tc.want == dns.RcodeFormatError && (len(m.Answer) != 0 || ecs != nil):
			t.Errorf("%d octets: FORMERR with %d answers, ECS %v; want neither", tc.octets, len(m.Answer), ecs)
		case tc.want == dns.RcodeSuccess && (len(m.Answer) == 0 || ecs == nil || ecs.SourceNetmask != 24):
			t.Errorf("%d octets: %d answers, ECS %v; want an answer echoing /24", tc.octets, len(m.Answer), ecs)
		}
	}
	if n := g.zoneData[0].stats.counts[qtypeIndex(dns.TypeA)][resFormErr].Load(); n != 4 {
		t.Errorf("requests counted as formerr: %d, want 4", n)
	}
}

// Options counted without packing and options packed agree with the wire.
func TestOptionsLen(t *testing.T) {
	q := ecsQuery("hello.avi.iberia.local.", dns.TypeA, "2001:db8::/33")
	opt := q.IsEdns0()
	opt.Option = append(opt.Option, &dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: "0102030405060708"})
	counted := optionsLen(opt)
	opt.Option = append(opt.Option, &dns.EDNS0_PADDING{Padding: make([]byte, 5)})
	packed := optionsLen(opt)
	b, err := q.Pack()
	if err != nil {
		t.Fatal(err)
	}
	m := new(dns.Msg)
	if err := m.Unpack(b); err != nil {
		t.Fatal(err)
	}
	wire := int(m.IsEdns0().Hdr.Rdlength)
	if counted != wire-4-5 || packed != wire || !ecsWireOK(m.IsEdns0()) {
		t.Errorf("counted %d, packed %d; wire %d (padding 4+5)", counted, packed, wire)
	}
}
