package gslb

import (
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// zoneSigner keeps one signed zone of a server block: every answer the zone
// can give, signed when a table is applied, in a snapshot per table version
// (signedZone) swapped whole behind an atomic pointer. Queries read the
// snapshot and never lock or sign; applies and the re-sign timer build the
// next snapshot under mu, signing only what changed or nears expiry.
type zoneSigner struct {
	zone     string
	keys     *keySet
	z        *zoneData
	others   []string // the server block's longer zones: their names are not ours
	ttl      uint32   // the block's TTL: SOA, NS, DNSKEY, NS names' addresses
	negTTL   uint32   // NSEC TTL: the negative-caching time
	answers  int
	validity time.Duration
	now      func() time.Time

	mu   sync.Mutex
	cur  atomic.Pointer[signedZone]
	stop chan struct{}
}

// signedZone is the signed form of one table version.
type signedZone struct {
	table *Table
	// names are the names with data, in canonical order; names[0] is the apex.
	names      []*signedName
	index      *nameIndex // the same entries by canonical name
	statics    map[string]*staticSigs
	soaSigs    []dns.RR // the SOA with this table's serial
	soaRefresh int64
}

// signedName holds the signatures of the RRsets of one name. It is never
// modified once published: a change makes a new one.
type signedName struct {
	key, name string
	rec       *Record     // the table's record of the name, or nil
	st        *staticSigs // the Corefile's data of the name (apex, NS name), or nil
	types     []uint16
	fam       [numFamilies]famSigs
	nsec      *dns.NSEC
	nsecSigs  []dns.RR
	refresh   int64 // Unix seconds: re-sign from then
}

// famSigs are the signatures of a record's answers of one family.
type famSigs struct {
	each [][]dns.RR // stateServe: of the answer chosen with cands[i] first
	down []dns.RR   // stateDown: of the whole down answer
}

// staticSigs are the signed RRsets of the Corefile: the apex NS and DNSKEY,
// and the addresses of in-zone NS names.
type staticSigs struct {
	apex       bool
	ns, dnskey []dns.RR // signatures
	dnskeyRRs  []dns.RR
	addr       [numFamilies][]dns.RR // signatures of the A and AAAA RRsets
	refresh    int64
}

// window returns the validity of signatures made now: from an hour ago
// (clocks of resolvers run late) to the validity period ahead.
func (s *zoneSigner) window(now time.Time) sigWindow {
	return sigWindow{inception: uint32(now.Add(-time.Hour).Unix()), expiration: uint32(now.Add(s.validity).Unix())}
}

// refreshAt is when signatures of name made now are re-signed: between half
// and three quarters of the validity, spread by a hash of the name so that a
// table signed at once is re-signed a little at a time.
func (s *zoneSigner) refreshAt(name string, now time.Time) int64 {
	v := int64(s.validity / time.Second)
	spread := int64(1)
	if v >= 4 {
		spread = v / 4
	}
	h := uint64(14695981039346656037)
	for i := 0; i < len(name); i++ {
		h = (h ^ uint64(name[i])) * 1099511628211
	}
	return now.Unix() + v/2 + int64(h%uint64(spread))
}

// ours reports whether a canonical record name belongs to this zone.
func (s *zoneSigner) ours(name string) bool {
	if !matchZone(name, s.zone) {
		return false
	}
	for _, o := range s.others {
		if matchZone(name, o) {
			return false
		}
	}
	return true
}

// update signs table t: everything when nothing is signed yet, else what
// changed since the last signed table, and publishes the result. Callers
// hold the feed's lock, so updates follow the order of the tables.
func (s *zoneSigner) update(t *Table) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	old := s.cur.Load()
	sz := &signedZone{table: t}
	isNew := func(e *signedName) bool { return e.nsec == nil }
	if old == nil {
		sz.statics = s.signStatics(now)
		sz.names = s.allNames(t, sz.statics)
		s.finish(sz, now, isNew, nil)
		sz.index = newNameIndex(sz.names)
	} else {
		var dirty []int
		var removed []string
		sz.statics = old.statics
		sz.names, dirty, removed = s.mergeNames(old, t)
		changed := s.finish(sz, now, isNew, dirty)
		sz.index = old.index.with(changed, removed)
	}
	s.cur.Store(sz)
}

// finish re-links the NSEC chain, signs in parallel the entries resign
// selects (all their RRsets) and those whose next name changed (their NSEC
// only; a published entry is copied first), and signs the SOA. dirty lists
// the only indexes that may need it (nil: look at every name). It returns
// the entries it made.
func (s *zoneSigner) finish(sz *signedZone, now time.Time, resign func(*signedName) bool, dirty []int) []*signedName {
	type job struct {
		e    *signedName
		next string
		all  bool
	}
	var jobs []job
	n := len(sz.names)
	if dirty == nil {
		dirty = make([]int, n)
		for i := range dirty {
			dirty[i] = i
		}
	}
	for _, i := range dirty {
		e := sz.names[i]
		next := sz.names[(i+1)%n].name
		all := resign(e)
		if !all && e.nsec.NextDomain == next {
			continue
		}
		c := *e
		sz.names[i] = &c
		jobs = append(jobs, job{&c, next, all})
	}
	win := s.window(now)
	parallel(len(jobs), func(i int) {
		j := jobs[i]
		if j.all {
			s.signRecord(j.e, win, now)
		}
		s.signNSEC(j.e, j.next, win)
	})
	soa := s.z.soa
	soa.Hdr.Name, soa.Hdr.Ttl, soa.Serial = s.zone, s.ttl, sz.table.version
	sz.soaSigs = s.sigs([]dns.RR{&soa}, s.ttl, win, false)
	sz.soaRefresh = s.refreshAt(s.zone, now)
	made := make([]*signedName, len(jobs))
	for i, j := range jobs {
		made[i] = j.e
	}
	return made
}

// parallel runs fn(0..n-1) on every CPU.
func parallel(n int, fn func(int)) {
	workers := min(runtime.GOMAXPROCS(0), n/8+1)
	if workers == 1 { // a delta: no goroutine to wait for
		for i := range n {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// sigs signs an RRset, logging (never failing the apply) if a key cannot.
func (s *zoneSigner) sigs(rrset []dns.RR, ttl uint32, win sigWindow, dnskey bool) []dns.RR {
	sigs, err := s.keys.sign(rrset, ttl, win, dnskey)
	if err != nil {
		log.Errorf("dnssec: %v", err)
	}
	return sigs
}

// newName makes the unsigned entry of a name.
func (s *zoneSigner) newName(name string, rec *Record, st *staticSigs) *signedName {
	k, _ := canonKey(make([]byte, 0, len(name)+2), name)
	e := &signedName{key: string(k), name: name, rec: rec, st: st}
	var a, aaaa, cname bool
	if rec != nil {
		a, aaaa, cname = recordTypes(rec)
	}
	apex := st != nil && st.apex
	if st != nil {
		a = a || st.addr[famV4] != nil
		aaaa = aaaa || st.addr[famV6] != nil
	}
	e.types = typeBitmap(a, apex, cname, apex, aaaa, apex)
	return e
}

// signRecord signs the answers of an unpublished entry's record.
func (s *zoneSigner) signRecord(e *signedName, win sigWindow, now time.Time) {
	e.refresh = s.refreshAt(e.name, now)
	if e.rec == nil {
		return
	}
	ttl := e.rec.ttl
	if ttl == 0 {
		ttl = s.ttl
	}
	for f := range numFamilies {
		e.fam[f] = s.signFamily(&e.rec.fam[f], ttl, win)
	}
}

// signNSEC makes and signs the NSEC of an unpublished entry.
func (s *zoneSigner) signNSEC(e *signedName, next string, win sigWindow) {
	e.nsec = &dns.NSEC{
		Hdr:        dns.RR_Header{Name: e.name, Rrtype: dns.TypeNSEC, Class: dns.ClassINET, Ttl: s.negTTL},
		NextDomain: next,
		TypeBitMap: e.types,
	}
	e.nsecSigs = s.sigs([]dns.RR{e.nsec}, s.negTTL, win, false)
}

func (s *zoneSigner) signFamily(set *answerSet, ttl uint32, win sigWindow) famSigs {
	var fs famSigs
	switch set.state {
	case stateServe:
		fs.each = make([][]dns.RR, len(set.cands))
		for i := range set.cands {
			fs.each[i] = s.sigs(answerOf(set, i, s.answers), ttl, win, false)
		}
	case stateDown:
		if len(set.cands) > 0 {
			rrs := make([]dns.RR, len(set.cands))
			for i, c := range set.cands {
				rrs[i] = c.rr
			}
			fs.down = s.sigs(rrs, ttl, win, false)
		}
	}
	return fs
}

// answerOf is the answer fill gives when cands[first] is chosen (as the
// first of the answer): with answers N, the heaviest other address members
// (of its site, for topology and geo).
func answerOf(set *answerSet, first, n int) []dns.RR {
	c := set.cands[first]
	out := []dns.RR{c.rr}
	if c.target != "" {
		return out
	}
	for _, i := range set.order {
		if len(out) >= n {
			break
		}
		o := set.cands[i]
		if int(i) == first || o.target != "" || (set.groups != nil && o.stat.site != c.stat.site) {
			continue
		}
		out = append(out, o.rr)
	}
	return out
}

// allNames makes the entries of every name of the zone in t (unsigned).
func (s *zoneSigner) allNames(t *Table, statics map[string]*staticSigs) []*signedName {
	var names []*signedName
	for _, sh := range t.shards {
		for name, rec := range sh.records {
			if s.ours(name) {
				names = append(names, s.newName(name, rec, statics[name]))
			}
		}
	}
	for name, st := range statics {
		if t.get(name) == nil {
			names = append(names, s.newName(name, nil, st))
		}
	}
	slices.SortFunc(names, func(a, b *signedName) int { return strings.Compare(a.key, b.key) })
	return names
}

// signStatics signs the Corefile's RRsets of the zone.
func (s *zoneSigner) signStatics(now time.Time) map[string]*staticSigs {
	win := s.window(now)
	apex := &staticSigs{apex: true, refresh: s.refreshAt(s.zone, now)}
	apex.dnskeyRRs = s.keys.dnskeys(s.ttl)
	apex.dnskey = s.sigs(apex.dnskeyRRs, s.ttl, win, true)
	apex.ns = s.sigs(withOwner(s.z.ns, s.zone, s.ttl), s.ttl, win, false)
	out := map[string]*staticSigs{s.zone: apex}
	for name, hosts := range s.z.hosts {
		st := out[name]
		if st == nil {
			st = &staticSigs{refresh: apex.refresh}
			out[name] = st
		}
		for f := range numFamilies {
			var rrs []dns.RR
			for _, h := range hosts {
				if inFamily(h.addr, family(f)) {
					rrs = append(rrs, h.rr)
				}
			}
			if len(rrs) > 0 {
				st.addr[f] = s.sigs(rrs, s.ttl, win, false)
			}
		}
	}
	return out
}
