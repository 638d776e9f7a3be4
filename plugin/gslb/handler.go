package gslb

import (
	"context"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"

	"github.com/coredns/coredns/plugin"
	"github.com/miekg/dns"
)

// maxChase bounds how many in-zone CNAMEs one answer follows; a push with
// a longer chain (or a loop) is refused.
const maxChase = gslbv1.MaxChase

// ServeDNS implements plugin.Handler.
func (g *GSLB) ServeDNS(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	if len(r.Question) == 0 {
		return plugin.NextOrFailure(g.Name(), g.Next, ctx, w, r)
	}
	q := r.Question[0]
	var buf [maxNameLen]byte
	lname, ok := lowerName(&buf, q.Name)
	if !ok {
		return plugin.NextOrFailure(g.Name(), g.Next, ctx, w, r)
	}
	zi := g.matchZone(lname)
	if zi < 0 {
		return plugin.NextOrFailure(g.Name(), g.Next, ctx, w, r)
	}
	if notAQuery(r) {
		return g.serveNotAQuery(ctx, w, r)
	}
	z := g.zoneData[zi]
	qt := qtypeIndex(q.Qtype)

	if badOPT(r) {
		return g.formErr(w, r, z, qt)
	}
	m := new(dns.Msg)
	m.SetReply(r)
	m.Authoritative = true
	var who client
	cl, w, ok := g.clientOf(&who, w, r)
	if !ok {
		m.Rcode, m.Authoritative = dns.RcodeFormatError, false // malformed ECS
		z.stats.inc(qt, resFormErr)
		return g.write(w, m)
	}

	t := g.feed.table.Load()
	if z.signer != nil {
		t, w = z.signer.signed(w, r, t) // pre-signed answers (sign_serve.go)
	}
	if t == nil {
		return g.notReady(w, m, z, lname, q, qt)
	}

	rec, ent := t.lookup(lname)
	apex := len(lname) == len(z.name)
	switch {
	case apex && g.fromConfig(m, z, t.version, lname, q): // the apex SOA and NS come from the Corefile, even under a record at the apex
		z.stats.inc(qt, resAnswer)
		return g.write(w, m)
	case rec != nil:
		return g.answerRecord(w, m, z, t, rec, q, qt, cl)
	case g.fromConfig(m, z, t.version, lname, q):
		z.stats.inc(qt, resAnswer)
		return g.write(w, m)
	case apex && q.Qtype == dns.TypeANY:
		m.Answer = []dns.RR{hinfo(q.Name, g.ttl)}
		z.stats.inc(qt, resAnswer)
		return g.write(w, m)
	case apex || z.hosts[string(lname)] != nil || ent:
		return g.noData(w, m, z, t, qt, resNoData)
	}

	// A name in the zone that we do not hold.
	if g.Fall.Through(q.Name) {
		z.stats.inc(qt, resFallthrough)
		return plugin.NextOrFailure(g.Name(), g.Next, ctx, w, r)
	}
	switch g.unhandled {
	case unhandledRefused:
		z.stats.inc(qt, resRefused)
		return dns.RcodeRefused, nil
	case unhandledDrop:
		z.stats.inc(qt, resDropped)
		return dns.RcodeSuccess, nil // nothing written: the client gets no answer
	}
	m.Rcode = dns.RcodeNameError
	m.Ns = []dns.RR{g.negativeSOA(z, t)}
	z.stats.inc(qt, resNXDomain)
	return g.write(w, m)
}

// notReady answers before the first table is loaded. The apex SOA and NS
// and the addresses of in-zone NS names come from the Corefile, so they are
// answered (the serial is 0): a delegation can be checked on a fresh
// install. Everything else gets SERVFAIL: an NXDOMAIN or NODATA now would be
// cached by resolvers for names that exist as soon as the first table arrives.
func (g *GSLB) notReady(w dns.ResponseWriter, m *dns.Msg, z *zoneData, lname []byte, q dns.Question, qt int) (int, error) {
	if !g.fromConfig(m, z, 0, lname, q) {
		z.stats.inc(qt, resNotReady)
		return dns.RcodeServerFailure, nil
	}
	z.stats.inc(qt, resAnswer)
	return g.write(w, m)
}

// fromConfig fills the answer of what the Corefile defines: the apex SOA
// (with serial) and NS (with glue), and the A or AAAA of an in-zone NS name.
// It reports false, adding nothing, when the Corefile has no such data.
func (g *GSLB) fromConfig(m *dns.Msg, z *zoneData, serial uint32, lname []byte, q dns.Question) bool {
	if len(lname) == len(z.name) { // the apex
		switch q.Qtype {
		case dns.TypeSOA:
			m.Answer = []dns.RR{g.soa(z, serial, q.Name, g.ttl)}
		case dns.TypeNS:
			m.Answer = withOwner(z.ns, q.Name, g.ttl)
			m.Extra = withOwner(z.glue, "", g.ttl)
		}
		return len(m.Answer) > 0
	}
	for _, h := range z.hosts[string(lname)] { // an in-zone NS name
		if (q.Qtype == dns.TypeA && h.addr.Is4()) || (q.Qtype == dns.TypeAAAA && h.addr.Is6()) {
			m.Answer = append(m.Answer, withOwner([]dns.RR{h.rr}, q.Name, g.ttl)...)
		}
	}
	return len(m.Answer) > 0
}

// answerRecord answers a query for a name the table holds.
func (g *GSLB) answerRecord(w dns.ResponseWriter, m *dns.Msg, z *zoneData, t *Table, rec *Record, q dns.Question, qt int, cl *client) (int, error) {
	var f family
	switch {
	case q.Qtype == dns.TypeA:
		f = famV4
	case q.Qtype == dns.TypeAAAA:
		f = famV6
	case q.Qtype == dns.TypeANY:
		m.Answer = []dns.RR{hinfo(q.Name, g.ttlOf(rec))}
		z.stats.inc(qt, resAnswer)
		return g.write(w, m)
	case q.Qtype == dns.TypeCNAME || rec.cnameOnly:
		// An alias answers every type with its CNAME; a record with
		// addresses answers CNAME queries only when it picks a hostname.
		f = famV4
	default:
		return g.noData(w, m, z, t, qt, resNoData)
	}

	res := g.fill(m, t, rec, f, q.Name, q.Qtype, 0, cl)
	switch {
	case res == resServfail:
		z.stats.inc(qt, resDown)
		return dns.RcodeServerFailure, nil
	case res == resNoData:
		return g.noData(w, m, z, t, qt, resNoData)
	case len(m.Answer) == 0:
		return g.noData(w, m, z, t, qt, resDown) // down response EMPTY
	case q.Qtype == dns.TypeCNAME && m.Answer[0].Header().Rrtype != dns.TypeCNAME:
		// CNAME query, but the pick was an address: there is no CNAME here.
		return g.noData(w, m, z, t, qt, resNoData)
	}
	z.stats.inc(qt, res)
	return g.write(w, m)
}

// fill appends the answer of rec for family f to m. It returns resAnswer,
// resDown (the down response applied; it may have added nothing), resNoData
// or resServfail.
func (g *GSLB) fill(m *dns.Msg, t *Table, rec *Record, f family, owner string, qtype uint16, depth int, cl *client) outcome {
	set := &rec.fam[f]
	ttl := g.ttlOf(rec)
	switch set.state {
	case stateNoData:
		return resNoData
	case stateDown:
		if rec.down == gslbv1.DownResponse_DOWN_RESPONSE_SERVFAIL {
			return resServfail
		}
		// EMPTY, or FALLBACK without an address of this family, adds nothing.
		for _, c := range set.cands {
			m.Answer = append(m.Answer, answerRR(c, owner, ttl))
			if c.stat != nil {
				c.stat.answers.Add(1)
			}
		}
		return resDown
	}

	first := g.choose(rec, set, cl)
	c := set.cands[first]
	m.Answer = append(m.Answer, answerRR(c, owner, ttl))
	c.stat.answers.Add(1)
	if c.target != "" {
		// A CNAME stands alone; follow it when the target is ours.
		if qtype != dns.TypeCNAME && depth < maxChase {
			if next := t.get(c.target); next != nil {
				if g.fill(m, t, next, f, c.target, qtype, depth+1, cl) == resServfail {
					return resServfail
				}
			}
		}
		return resAnswer
	}
	// answers N: add the heaviest other address members.
	for _, i := range set.order {
		if len(m.Answer) >= g.answers {
			break
		}
		if int(i) == first || set.cands[i].target != "" || (set.groups != nil && set.cands[i].stat.site != c.stat.site) {
			continue // topology and geo: only the chosen member's site
		}
		m.Answer = append(m.Answer, answerRR(set.cands[i], owner, ttl))
		set.cands[i].stat.answers.Add(1)
	}
	return resAnswer
}

// answerRR copies a prototype RR with the query's owner name and the TTL.
func answerRR(c cand, owner string, ttl uint32) dns.RR {
	switch rr := c.rr.(type) {
	case *dns.A:
		a := *rr
		a.Hdr.Name, a.Hdr.Ttl = owner, ttl
		return &a
	case *dns.AAAA:
		a := *rr
		a.Hdr.Name, a.Hdr.Ttl = owner, ttl
		return &a
	case *dns.CNAME:
		a := *rr
		a.Hdr.Name, a.Hdr.Ttl = owner, ttl
		return &a
	}
	rr := dns.Copy(c.rr)
	rr.Header().Name, rr.Header().Ttl = owner, ttl
	return rr
}

// ttlOf is the TTL of rec's answers: its own when it sets one, 0 included,
// else the server block's.
func (g *GSLB) ttlOf(rec *Record) uint32 {
	if rec.hasTTL {
		return rec.ttl
	}
	return g.ttl
}

// noData answers NOERROR with no answer and the SOA in authority (RFC 2308).
// res is the result it is counted as.
func (g *GSLB) noData(w dns.ResponseWriter, m *dns.Msg, z *zoneData, t *Table, qt int, res outcome) (int, error) {
	m.Answer = nil
	m.Ns = []dns.RR{g.negativeSOA(z, t)}
	z.stats.inc(qt, res)
	return g.write(w, m)
}

func (g *GSLB) write(w dns.ResponseWriter, m *dns.Msg) (int, error) {
	if err := w.WriteMsg(m); err != nil {
		return dns.RcodeServerFailure, err
	}
	return m.Rcode, nil
}

// soa returns the zone's SOA with the given serial (the table version).
func (g *GSLB) soa(z *zoneData, serial uint32, owner string, ttl uint32) dns.RR {
	s := z.soa
	s.Hdr.Name = owner
	s.Hdr.Ttl = ttl
	s.Serial = serial
	return &s
}

// negativeSOA is the SOA for the authority section of NXDOMAIN and NODATA;
// its TTL is the negative-caching time, min(SOA TTL, SOA minimum) (RFC 2308).
func (g *GSLB) negativeSOA(z *zoneData, t *Table) dns.RR {
	return g.soa(z, t.version, z.soa.Hdr.Name, min(g.ttl, z.soa.Minttl))
}

// hinfo is the minimal answer to ANY queries (RFC 8482).
func hinfo(owner string, ttl uint32) dns.RR {
	return &dns.HINFO{Hdr: dns.RR_Header{Name: owner, Rrtype: dns.TypeHINFO, Class: dns.ClassINET, Ttl: ttl}, Cpu: "RFC8482"}
}

// withOwner copies RRs, setting the TTL and, when owner is not empty, the owner name.
func withOwner(rrs []dns.RR, owner string, ttl uint32) []dns.RR {
	out := make([]dns.RR, len(rrs))
	for i, rr := range rrs {
		c := dns.Copy(rr)
		if owner != "" {
			c.Header().Name = owner
		}
		c.Header().Ttl = ttl
		out[i] = c
	}
	return out
}

// matchZone returns the index of the most specific zone holding the
// canonical name, or -1.
func (g *GSLB) matchZone(name []byte) int {
	for i, z := range g.zones { // longest first
		if matchZone(name, z) {
			return i
		}
	}
	return -1
}

// maxNameLen bounds a presentation-format name (255 octets on the wire;
// escapes make presentation longer, such names are handed on).
const maxNameLen = 512

// lowerName writes the lower-cased, fully qualified name into buf without
// allocating. It reports false when the name does not fit.
func lowerName(buf *[maxNameLen]byte, name string) ([]byte, bool) {
	n := len(name)
	if n == 0 || n >= maxNameLen {
		return nil, false
	}
	for i := 0; i < n; i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	if name[n-1] != '.' {
		buf[n] = '.'
		n++
	}
	return buf[:n], true
}
