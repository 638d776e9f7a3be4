package gslb

import (
	"strings"

	"github.com/miekg/dns"
)

// signed returns the table a query of a signed zone is answered from, and
// the writer that adds the signatures: queries with the DO bit (and DNSKEY
// queries, signed or not) are answered from the last signed table, whose
// signatures are all made, so an answer and its RRSIGs always agree. Other
// queries, or any before the first table is signed, are left as they are.
func (s *zoneSigner) signed(w dns.ResponseWriter, r *dns.Msg, t *Table) (*Table, dns.ResponseWriter) {
	do := false
	if o := r.IsEdns0(); o != nil {
		do = o.Do()
	}
	if !do && r.Question[0].Qtype != dns.TypeDNSKEY {
		return t, w
	}
	sz := s.cur.Load()
	if sz == nil {
		return t, w
	}
	return sz.table, &signedWriter{ResponseWriter: w, s: s, sz: sz, do: do}
}

// signedWriter adds the precomputed signatures and denial proofs to the
// answer the handler writes.
type signedWriter struct {
	dns.ResponseWriter
	s  *zoneSigner
	sz *signedZone
	do bool
}

// WriteMsg implements dns.ResponseWriter.
func (w *signedWriter) WriteMsg(m *dns.Msg) error {
	q := m.Question[0]
	apex := strings.EqualFold(q.Name, w.s.zone)
	if q.Qtype == dns.TypeDNSKEY && apex && m.Rcode == dns.RcodeSuccess && len(m.Answer) == 0 {
		m.Ns = nil
		m.Answer = w.withSigs(nil, w.sz.statics[w.s.zone].dnskeyRRs, w.sz.statics[w.s.zone].dnskey, q.Name)
		return w.ResponseWriter.WriteMsg(m)
	}
	if !w.do {
		return w.ResponseWriter.WriteMsg(m)
	}
	if len(m.Answer) > 0 {
		m.Answer = w.signAnswer(m.Answer, q)
	}
	if len(m.Answer) == 0 && len(m.Ns) == 1 && m.Ns[0].Header().Rrtype == dns.TypeSOA {
		// NODATA or NXDOMAIN: the SOA's signatures and the NSEC proof.
		m.Ns = w.withSigs(m.Ns[:1:1], nil, w.sz.soaSigs, m.Ns[0].Header().Name)
		for _, rr := range w.sz.denial(q.Name, m.Rcode == dns.RcodeNameError) {
			m.Ns = append(m.Ns, shallowCopy(rr))
		}
	}
	return w.ResponseWriter.WriteMsg(m)
}

// signAnswer adds the signatures of each RRset of the answer section.
func (w *signedWriter) signAnswer(ans []dns.RR, q dns.Question) []dns.RR {
	if q.Qtype == dns.TypeANY && len(ans) == 1 && ans[0].Header().Rrtype == dns.TypeHINFO {
		// RFC 8482 lets ANY be answered with any RRset of the name: the
		// signed NSEC replaces the unsigned HINFO.
		if e := w.sz.entry(q.Name); e != nil && e.nsec != nil {
			return w.withSigs(nil, []dns.RR{e.nsec}, e.nsecSigs, q.Name)
		}
		return ans
	}
	out := make([]dns.RR, 0, 2*len(ans)+1)
	for i := 0; i < len(ans); {
		h := ans[i].Header()
		j := i + 1
		for j < len(ans) && ans[j].Header().Rrtype == h.Rrtype && strings.EqualFold(ans[j].Header().Name, h.Name) {
			j++
		}
		out = append(out, ans[i:j]...)
		out = w.withSigs(out, nil, w.sigsOf(ans[i:j], q.Qtype), h.Name)
		i = j
	}
	return out
}

// sigsOf finds the signatures of one RRset of an answer.
func (w *signedWriter) sigsOf(rrset []dns.RR, qtype uint16) []dns.RR {
	h := rrset[0].Header()
	e := w.sz.entry(h.Name)
	if e == nil {
		return nil
	}
	switch h.Rrtype {
	case dns.TypeSOA:
		return w.sz.soaSigs
	case dns.TypeNS:
		if e.st != nil {
			return e.st.ns
		}
		return nil
	}
	f := famV4
	if qtype == dns.TypeAAAA {
		f = famV6
	}
	if e.rec == nil {
		if e.st != nil && h.Rrtype != dns.TypeCNAME {
			return e.st.addr[f]
		}
		return nil
	}
	set := &e.rec.fam[f]
	if set.state == stateDown {
		return e.fam[f].down
	}
	if i := candOf(set, rrset[0]); i >= 0 && i < len(e.fam[f].each) {
		return e.fam[f].each[i]
	}
	return nil
}

// candOf returns the index of the candidate an answer RR was copied from.
func candOf(set *answerSet, rr dns.RR) int {
	for i, c := range set.cands {
		switch x := rr.(type) {
		case *dns.A:
			if p, ok := c.rr.(*dns.A); ok && p.A.Equal(x.A) {
				return i
			}
		case *dns.AAAA:
			if p, ok := c.rr.(*dns.AAAA); ok && p.AAAA.Equal(x.AAAA) {
				return i
			}
		case *dns.CNAME:
			if c.target == x.Target {
				return i
			}
		}
	}
	return -1
}

// withSigs appends rrs and copies of sigs (signatures are shared by every
// answer, and plugins in front may edit what they are handed), with the
// owner name as asked, to out.
func (w *signedWriter) withSigs(out, rrs, sigs []dns.RR, owner string) []dns.RR {
	for _, rr := range rrs {
		c := dns.Copy(rr)
		c.Header().Name = owner
		out = append(out, c)
	}
	for _, sig := range sigs {
		c := *sig.(*dns.RRSIG)
		c.Hdr.Name = owner
		out = append(out, &c)
	}
	return out
}

// shallowCopy copies the signed RRs a denial is made of; they share their
// (never modified) slices and strings with the stored ones.
func shallowCopy(rr dns.RR) dns.RR {
	switch x := rr.(type) {
	case *dns.NSEC:
		c := *x
		return &c
	case *dns.RRSIG:
		c := *x
		return &c
	}
	return dns.Copy(rr)
}
