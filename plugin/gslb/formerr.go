package gslb

import "github.com/miekg/dns"

// badOPT reports whether a query breaks RFC 6891 section 6.1.1: more than
// one OPT record, or an OPT whose owner is not the root. Such a query gets
// FORMERR. (CoreDNS's server only looks at the first OPT.)
func badOPT(r *dns.Msg) bool {
	n := 0
	for _, rr := range r.Extra {
		if rr.Header().Rrtype != dns.TypeOPT {
			continue
		}
		if n++; n > 1 || rr.Header().Name != "." {
			return true
		}
	}
	return false
}

// formErr answers FORMERR without an OPT record: the query's EDNS cannot be
// trusted. It is counted with the result "formerr".
func (g *GSLB) formErr(w dns.ResponseWriter, r *dns.Msg, z *zoneData, qt int) (int, error) {
	z.stats.inc(qt, resFormErr)
	m := new(dns.Msg)
	m.SetReply(r)
	m.Rcode = dns.RcodeFormatError
	return g.write(w, m)
}
