package e2e

import (
	"encoding/binary"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/test/e2e/harness"

	"github.com/miekg/dns"
)

// EDNS0 through the real server: the OPT record is echoed, an answer larger
// than the client's UDP buffer is truncated (TC) and complete over TCP.
func TestEDNSAndTruncation(t *testing.T) {
	t.Parallel()
	const corefileMany = `avi.iberia.local:{{port "dns"}} {
    bind 127.0.0.1
    gslb {
        soa g-dns.iberia.local. hostmaster.iberia.local.
        answers 64
        listen unix://{{.Sock}}
    }
}
`
	c := harness.StartCoreDNS(t, corefileMany, nil)
	var b strings.Builder
	b.WriteString("records:\n  - fqdn: many.avi.iberia.local\n    members:\n")
	for i := 1; i <= 60; i++ {
		fmt.Fprintf(&b, "      - {address: \"2001:db8::%x\", weight: %d}\n", i, i)
	}
	yaml := t.TempDir() + "/members.yaml"
	harness.WriteFile(t, yaml, b.String())
	harness.StartSyncer(t, "--source", "file:"+yaml, "--push", "unix://"+c.Sock)
	c.WaitLoaded(loadTimeout)

	ask := func(proto string, bufsize uint16) *dns.Msg {
		m := harness.NewQuery("many.avi.iberia.local.", dns.TypeAAAA)
		if bufsize > 0 {
			m.SetEdns0(bufsize, false)
		}
		cl := &dns.Client{Net: proto, Timeout: 5 * time.Second, UDPSize: 65535}
		r, _, err := cl.Exchange(m, c.Addr)
		if err != nil {
			t.Fatalf("%s bufsize %d: %v", proto, bufsize, err)
		}
		return r
	}

	// 60 AAAA records (~1.7 KB): more than 512 and 1232 bytes, less than 4096.
	big := ask("udp", 4096)
	if big.Truncated || len(big.Answer) != 60 || big.IsEdns0() == nil || !big.Authoritative {
		t.Fatalf("EDNS 4096: TC %v, %d answers, OPT %v", big.Truncated, len(big.Answer), big.IsEdns0() != nil)
	}
	if got := big.IsEdns0().UDPSize(); got < 1232 {
		t.Errorf("echoed OPT advertises %d bytes", got)
	}
	for _, size := range []uint16{0, 1232} { // 0: no EDNS, 512 bytes
		r := ask("udp", size)
		if !r.Truncated || len(r.Answer) >= 60 {
			t.Errorf("UDP buffer %d: TC %v with %d answers, want TC", size, r.Truncated, len(r.Answer))
		}
		if (size > 0) != (r.IsEdns0() != nil) {
			t.Errorf("UDP buffer %d: OPT in reply %v", size, r.IsEdns0() != nil)
		}
	}
	if r := ask("tcp", 0); r.Truncated || len(r.Answer) != 60 {
		t.Errorf("TCP: TC %v, %d answers, want all 60", r.Truncated, len(r.Answer))
	}
}

// Malformed queries through the real server (RFC 6891 section 6.1.1): two
// OPT records, or an OPT whose owner is not the root, get FORMERR from the
// plugin, and so does an ECS option whose address has more or fewer octets
// than its source prefix needs (RFC 7871 section 6). A bare 12-byte header that claims one question never reaches the
// plugin: CoreDNS's server answers a message without a question SERVFAIL
// itself (core/dnsserver.Server.ServeDNS), which this test records.
func TestMalformedQueries(t *testing.T) {
	t.Parallel()
	c := harness.StartCoreDNS(t, corefile, nil)
	full := &gslbv1.ApplyHeader{Kind: gslbv1.Kind_KIND_FULL}
	if _, err := push(c.TableClient(), full, membersTable(w642), nil); err != nil {
		t.Fatal(err)
	}
	opt := func(owner string) *dns.OPT {
		o := &dns.OPT{Hdr: dns.RR_Header{Name: owner, Rrtype: dns.TypeOPT}}
		o.SetUDPSize(1232)
		return o
	}
	query := func(extra ...dns.RR) []byte {
		m := harness.NewQuery(hello, dns.TypeA)
		m.Extra = extra
		b, err := m.Pack()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	header := []byte{0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0} // QDCOUNT 1, nothing after
	for _, tt := range []struct {
		name string
		wire []byte
		want int
	}{
		{"one OPT", query(opt(".")), dns.RcodeSuccess},
		{"two OPTs", query(opt("."), opt(".")), dns.RcodeFormatError},
		{"OPT owner not root", query(opt("avi.iberia.local.")), dns.RcodeFormatError},
		{"12-byte header (CoreDNS's server)", header, dns.RcodeServerFailure},
		{"ECS /24 with 3 address octets", ecsWire(t, 3), dns.RcodeSuccess},
		{"ECS /24 with 2 address octets", ecsWire(t, 2), dns.RcodeFormatError},
		{"ECS /24 with 7 address octets", ecsWire(t, 7), dns.RcodeFormatError},
	} {
		r := rawExchange(t, c.Addr, tt.wire)
		if r.Rcode != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, harness.Brief(r), dns.RcodeToString[tt.want])
		}
	}
}

// ecsWire is an A query for hello with one ECS option, family 1, source
// prefix 24, 192.0.2.0 in octets address octets (3 is right; the extra ones
// zero), as `dig +subnet` with a hand-edited option sends it.
func ecsWire(t *testing.T, octets int) []byte {
	t.Helper()
	m := harness.NewQuery(hello, dns.TypeA)
	m.SetEdns0(1232, false)
	m.IsEdns0().Option = []dns.EDNS0{&dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: 1, SourceNetmask: 24, Address: net.IPv4(192, 0, 2, 0).To4()}}
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	// The option ends the message: code, length, family, prefixes, 3
	// octets; the OPT's RDLENGTH is just before it.
	optLen, rdLen := len(b)-7-2, len(b)-7-4-2
	b = append(b[:len(b)-3], append([]byte{192, 0, 2}, make([]byte, 4)...)[:octets]...)
	binary.BigEndian.PutUint16(b[optLen:], uint16(4+octets))
	binary.BigEndian.PutUint16(b[rdLen:], uint16(4+4+octets))
	return b
}

// rawExchange sends wire bytes over UDP and returns the unpacked reply.
func rawExchange(t *testing.T, addr string, wire []byte) *dns.Msg {
	t.Helper()
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(harness.QueryTimeout))
	if _, err := conn.Write(wire); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 65535)
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatalf("no reply to %x: %v", wire, err)
	}
	r := new(dns.Msg)
	if err := r.Unpack(buf[:n]); err != nil {
		t.Fatalf("reply does not unpack: %v", err)
	}
	return r
}
