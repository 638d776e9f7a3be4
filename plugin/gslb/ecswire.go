package gslb

import "github.com/miekg/dns"

// The DNS library pads or truncates an ECS address to its family's length
// when it unpacks the option, so a query whose ADDRESS has too few or too
// many octets for its source prefix (RFC 7871 section 6: FORMERR) looks
// well formed once unpacked. What survives of the wire is the OPT record's
// RDLENGTH as received: ecsWireOK compares it with the length the options
// take when packed, where ECS takes exactly the octets its prefix needs.
//
// A plugin earlier in the chain that rewrites the ECS option of a query
// (rewrite edns0 subnet) leaves the received RDLENGTH behind: with it, a
// rewritten prefix of another length would be FORMERR here.

// ecsWireOK reports whether the OPT's options took, on the wire, the octets
// they take when packed again: false when an option (in practice ECS, the
// only one the library resizes) was longer or shorter. An OPT built in
// process (RDLENGTH 0, never read from a wire) is not checked.
func ecsWireOK(opt *dns.OPT) bool {
	wire := int(opt.Hdr.Rdlength)
	return wire == 0 || optionsLen(opt) == wire
}

// optionsLen is the RDLENGTH the OPT's options take when packed. The usual
// options of a resolver's query, ECS and a cookie, are counted without
// packing (no allocation); anything else packs the whole OPT.
func optionsLen(opt *dns.OPT) int {
	n := 0
	for _, o := range opt.Option {
		switch e := o.(type) {
		case *dns.EDNS0_SUBNET:
			n += 4 + 4 + (int(e.SourceNetmask)+7)/8 // code, length, family, prefixes, address
		case *dns.EDNS0_COOKIE:
			n += 4 + len(e.Cookie)/2 // hex in the struct
		default:
			return packedRdlen(opt)
		}
	}
	return n
}

// packedRdlen is the RDLENGTH of the OPT packed, or -1 when it does not
// pack. It packs a copy: dns.PackRR sets the header's RDLENGTH.
func packedRdlen(opt *dns.OPT) int {
	o := *opt
	buf := make([]byte, dns.MaxMsgSize)
	if _, err := dns.PackRR(&o, buf, 0, nil, false); err != nil {
		return -1
	}
	return int(o.Hdr.Rdlength)
}
