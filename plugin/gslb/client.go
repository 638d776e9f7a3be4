package gslb

import (
	"net"
	"net/netip"

	"github.com/miekg/dns"
)

// client is who asks, as far as an answer may depend on it: the EDNS Client
// Subnet of the query (RFC 7871) when there is one and it is trusted, else the
// address the query came from. It lives on the stack of one query.
type client struct {
	w    dns.ResponseWriter // the source address, read only when needed
	addr netip.Addr         // from ECS: the source prefix, host bits zero
	bits int                // the prefix length of addr; -1: not known yet
	// ecs is the query's option, echoed in the answer; nil when the query
	// has none or it came from a resolver not trusted to send one.
	ecs *dns.EDNS0_SUBNET
	// scope is the longest prefix of the client's address the answer
	// depended on: the ECS scope prefix of the response.
	scope int
}

// ecsTrust lists the resolvers whose ECS is used; empty trusts everyone.
type ecsTrust []netip.Prefix

// newClient reads the ECS option of r. ok is false when the option is
// malformed (RFC 7871 section 7.1.1: the answer is FORMERR): more than one
// ECS option, a scope prefix in a query, an address that does not match its
// family or has bits set beyond its source prefix, an address of more or
// fewer octets than the source prefix needs (section 6). The miekg/dns parser
// refuses an unknown family or a prefix longer than the address before the
// query reaches a plugin.
func newClient(w dns.ResponseWriter, r *dns.Msg, trust ecsTrust) (c client, ok bool) {
	c = client{w: w, bits: -1}
	opt := r.IsEdns0()
	if opt == nil {
		return c, true
	}
	var e *dns.EDNS0_SUBNET
	for _, o := range opt.Option {
		if s, isECS := o.(*dns.EDNS0_SUBNET); isECS {
			if e != nil {
				return c, false
			}
			e = s
		}
	}
	if e == nil {
		return c, true
	}
	addr, bits, valid := ecsPrefix(e)
	if !valid || !ecsWireOK(opt) {
		return c, false
	}
	if !trust.allows(c.source()) {
		return c, true // used and echoed only from trusted resolvers
	}
	c.ecs = e
	if bits > 0 {
		c.addr, c.bits = addr, bits
	}
	// A source prefix of 0 opts out (section 7.1.2): the resolver's own
	// address serves, which all its clients share (scope 0).
	return c, true
}

// ecsPrefix checks an ECS option of a query and returns its source prefix.
func ecsPrefix(e *dns.EDNS0_SUBNET) (netip.Addr, int, bool) {
	if e.SourceScope != 0 {
		return netip.Addr{}, 0, false
	}
	var a netip.Addr
	switch e.Family {
	case 0: // dig's "+subnet=0": no address at all
		return netip.Addr{}, 0, e.SourceNetmask == 0
	case 1:
		ip4 := e.Address.To4()
		if ip4 == nil {
			return netip.Addr{}, 0, false
		}
		a = netip.AddrFrom4([4]byte(ip4))
	case 2:
		if len(e.Address) != net.IPv6len {
			return netip.Addr{}, 0, false
		}
		a = netip.AddrFrom16([16]byte(e.Address))
	default:
		return netip.Addr{}, 0, false
	}
	bits := int(e.SourceNetmask)
	p, err := a.Prefix(bits)
	if err != nil || p.Addr() != a {
		return netip.Addr{}, 0, false // bits set beyond the source prefix
	}
	return a, bits, true
}

// source is the address the query came from.
func (c *client) source() netip.Addr {
	if c.w == nil {
		return netip.Addr{}
	}
	var ip net.IP
	switch a := c.w.RemoteAddr().(type) {
	case *net.UDPAddr:
		ip = a.IP
	case *net.TCPAddr:
		ip = a.IP
	}
	addr, _ := netip.AddrFromSlice(ip)
	return addr.Unmap()
}

// address returns the client's address (or ECS prefix) and its length.
func (c *client) address() (netip.Addr, int) {
	if c.bits < 0 {
		c.addr = c.source()
		c.bits = c.addr.BitLen()
	}
	return c.addr, c.bits
}

// depends records that the answer depended on the first bits of the address.
func (c *client) depends(bits int) {
	c.scope = max(c.scope, bits)
}

// echo adds the ECS option to the response (RFC 7871 section 7.2.1): the
// query's family, source prefix and address, and the scope the answer
// depended on. CoreDNS's ScrubWriter keeps the options of a response's OPT
// and sets its size and DO bit from the query.
func (c *client) echo(m *dns.Msg) {
	if c.ecs == nil {
		return
	}
	e := *c.ecs
	e.SourceScope = uint8(min(c.scope, maxBits(e.Family)))
	if e.SourceNetmask == 0 {
		e.SourceScope = 0 // the resolver's own address chose, for all its clients
	}
	o := &dns.OPT{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeOPT}, Option: []dns.EDNS0{&e}}
	o.SetUDPSize(dns.MinMsgSize)
	m.Extra = append(m.Extra, o)
}

func maxBits(family uint16) int {
	switch family {
	case 1:
		return 32
	case 2:
		return 128
	}
	return 0
}

// allows reports whether ECS from the source address is used.
func (t ecsTrust) allows(a netip.Addr) bool {
	if len(t) == 0 {
		return true
	}
	for _, p := range t {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientOf reads who asks from the query. When the query carries a trusted
// ECS option, the returned writer echoes it in whatever the handler writes
// (with the scope the answer depended on), and cl lives in that writer;
// otherwise w is unchanged and cl is c, on the stack of the query.
func (g *GSLB) clientOf(c *client, w dns.ResponseWriter, r *dns.Msg) (cl *client, _ dns.ResponseWriter, ok bool) {
	*c, ok = newClient(w, r, g.ecs)
	if !ok || c.ecs == nil {
		return c, w, ok
	}
	ew := &echoWriter{ResponseWriter: w, c: *c}
	return &ew.c, ew, true
}

// echoWriter adds the ECS option to the response it writes.
type echoWriter struct {
	dns.ResponseWriter
	c client
}

func (e *echoWriter) WriteMsg(m *dns.Msg) error {
	e.c.echo(m)
	return e.ResponseWriter.WriteMsg(m)
}
