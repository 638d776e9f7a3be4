package gslb

import (
	"maps"

	"github.com/miekg/dns"
)

// The denial of existence of a signed zone is a precomputed NSEC chain: every
// name with data (the apex, each record, each in-zone NS name) has an NSEC
// naming the next name in canonical order (RFC 4034 section 6.1) and the
// types it has, signed when the table is applied. NODATA is proved by the
// name's own NSEC (or, for an empty non-terminal, the NSEC that covers it
// and whose next name is below it); NXDOMAIN by the NSEC covering the name
// and the one covering the wildcard at its closest encloser. Answers pick
// these among the signed ones: no query signs. See README, *DNSSEC*, for
// why not the dnssec plugin's black lies (RFC 4470).

// canonKey appends the canonical-order key of a presentation-format name to
// dst: its labels from the rightmost, lower-cased and unescaped, each
// followed by 0x00 (bytes 0x00 and 0x01 inside a label are escaped as 0x01
// 0x01 and 0x01 0x02, so the separator stays the smallest byte). Comparing
// keys bytewise orders names as RFC 4034 section 6.1 does. It reports false
// for a name too long for dst's capacity.
func canonKey(dst []byte, name string) ([]byte, bool) {
	var starts [128]int // label starts
	n := 0
	for i := 0; i < len(name); {
		if name[i] == '.' { // the root, or an empty label: stop
			break
		}
		if n == len(starts) {
			return dst, false
		}
		starts[n] = i
		n++
		for i < len(name) && name[i] != '.' {
			if name[i] == '\\' {
				i++
			}
			i++
		}
		i++
	}
	for l := n - 1; l >= 0; l-- {
		for i := starts[l]; i < len(name) && name[i] != '.'; i++ {
			c := name[i]
			if c == '\\' && i+1 < len(name) {
				i++
				c = name[i]
				if isDigit(c) && i+2 < len(name) && isDigit(name[i+1]) && isDigit(name[i+2]) {
					c = (c-'0')*100 + (name[i+1]-'0')*10 + (name[i+2] - '0')
					i += 2
				}
			}
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			switch c {
			case 0, 1:
				dst = append(dst, 1, c+1)
			default:
				dst = append(dst, c)
			}
		}
		dst = append(dst, 0)
	}
	return dst, true
}

// keyBufLen holds the key of any name lowerName accepts (escaped bytes 0
// and 1 take two bytes, and a wildcard label may be added).
const keyBufLen = 2*maxNameLen + 4

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// find returns the index of the first name whose key is not below key, and
// whether it is equal. It does not allocate.
func (sz *signedZone) find(key []byte) (int, bool) { return findName(sz.names, key) }

func findName(names []*signedName, key []byte) (int, bool) {
	lo, hi := 0, len(names)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if names[m].key < string(key) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(names) && names[lo].key == string(key)
}

// entry returns the signed name of a presentation-format name, or nil.
func (sz *signedZone) entry(name string) *signedName {
	var lbuf [maxNameLen]byte
	if l, ok := lowerName(&lbuf, name); ok {
		if e := sz.index.get(l); e != nil {
			return e
		}
	}
	// Not there as written (a name with escapes): look it up in canonical form.
	var buf [keyBufLen]byte
	key, ok := canonKey(buf[:0], name)
	if !ok {
		return nil
	}
	if i, found := sz.find(key); found {
		return sz.names[i]
	}
	return nil
}

// nameIndex finds entries by canonical name, sharded like the table so that
// a delta copies only the shards it touches.
type nameIndex [numShards]map[string]*signedName

func newNameIndex(names []*signedName) *nameIndex {
	ix := &nameIndex{}
	for i := range ix {
		ix[i] = map[string]*signedName{}
	}
	for _, e := range names {
		ix[shardOf(e.name)][e.name] = e
	}
	return ix
}

func (ix *nameIndex) get(lname []byte) *signedName { return ix[shardOf(lname)][string(lname)] }

// with returns a copy of ix with entries set and names deleted.
func (ix *nameIndex) with(set []*signedName, del []string) *nameIndex {
	out := *ix
	var cloned [numShards]bool
	shard := func(name string) map[string]*signedName {
		i := shardOf(name)
		if !cloned[i] {
			out[i] = maps.Clone(out[i])
			cloned[i] = true
		}
		return out[i]
	}
	for _, n := range del {
		delete(shard(n), n)
	}
	for _, e := range set {
		shard(e.name)[e.name] = e
	}
	return &out
}

// cover returns the index of the name whose NSEC covers key (the last name
// not above it). The apex, the first name, is below every name of the zone.
func (sz *signedZone) cover(key []byte) int {
	i, found := sz.find(key)
	switch {
	case found:
		return i
	case i == 0:
		return len(sz.names) - 1
	}
	return i - 1
}

// denial returns the NSEC records (with their signatures) that prove the
// query name has no data of the type (nxdomain false) or does not exist.
func (sz *signedZone) denial(qname string, nxdomain bool) []dns.RR {
	if len(sz.names) == 0 {
		return nil
	}
	if !nxdomain { // the name's own NSEC, if it has data
		if e := sz.entry(qname); e != nil {
			return e.nsecRRs(nil)
		}
	}
	var buf [keyBufLen]byte
	key, ok := canonKey(buf[:0], qname)
	if !ok {
		return nil
	}
	i := sz.cover(key)
	first := sz.names[i]
	out := first.nsecRRs(nil)
	if !nxdomain {
		return out
	}
	// The closest encloser is the longest ancestor of qname that exists: the
	// longer of its common ancestors with the covering NSEC's owner and next
	// name. The wildcard below it must not exist either.
	next := sz.names[(i+1)%len(sz.names)]
	ce := max(commonLabels(key, first.key), commonLabels(key, next.key))
	wild := append(key[:ce], '*', 0) // key is not used after this
	if w := sz.cover(wild); w != i {
		out = sz.names[w].nsecRRs(out)
	}
	return out
}

// commonLabels is the length of the longest common prefix of two keys that
// ends at a label boundary.
func commonLabels(a []byte, b string) int {
	last := 0
	for i := 0; i < len(a) && i < len(b) && a[i] == b[i]; i++ {
		if a[i] == 0 {
			last = i + 1
		}
	}
	return last
}

// nsecRRs appends the name's NSEC and its signatures.
func (e *signedName) nsecRRs(out []dns.RR) []dns.RR {
	if e.nsec == nil {
		return out
	}
	return append(append(out, e.nsec), e.nsecSigs...)
}

// recordTypes lists the types a record answers with data, for its NSEC.
// Address types are there when the family answers with at least one address
// (a family whose down response adds nothing answers NODATA, so it must not
// be listed); CNAME only for an alias (a name answering every type with
// it): a record mixing addresses and hostnames answers NODATA for other
// types, which an NSEC listing CNAME would contradict (RFC 4035 5.4).
func recordTypes(rec *Record) (a, aaaa, cname bool) {
	if rec.cnameOnly {
		return false, false, true
	}
	has := func(set *answerSet) bool {
		for _, c := range set.cands {
			if c.target == "" {
				return true
			}
		}
		return false
	}
	return has(&rec.fam[famV4]), has(&rec.fam[famV6]), false
}

// typeBitmap is the sorted type list of an NSEC.
func typeBitmap(a, ns, cname, soa, aaaa, dnskey bool) []uint16 {
	var ts []uint16
	for _, t := range []struct {
		on bool
		t  uint16
	}{{a, dns.TypeA}, {ns, dns.TypeNS}, {cname, dns.TypeCNAME}, {soa, dns.TypeSOA}, {aaaa, dns.TypeAAAA},
		{true, dns.TypeRRSIG}, {true, dns.TypeNSEC}, {dnskey, dns.TypeDNSKEY}} {
		if t.on {
			ts = append(ts, t.t)
		}
	}
	return ts
}
