package gslb

import (
	"net"
	"net/netip"
	"slices"
	"sync/atomic"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"

	"github.com/miekg/dns"
)

// family is the address family an answer set serves.
type family uint8

const (
	famV4 family = iota // A queries
	famV6               // AAAA queries
	numFamilies
)

// answerState says how an answer set answers.
type answerState uint8

const (
	// stateNoData: the record has no member of this family at all (NODATA).
	stateNoData answerState = iota
	// stateServe: cands are the healthy members of the best priority level,
	// chosen by the picker.
	stateServe
	// stateDown: no member of this family is healthy; the record's down
	// response applies (cands hold what it answers, if anything).
	stateDown
)

// Record is the compiled, immutable form of one GSLB record. Everything a
// query needs is computed here, when the table is built, so that a query only
// looks up the name, advances one atomic counter and copies the chosen RR.
type Record struct {
	name string         // canonical FQDN
	src  *gslbv1.Record // as pushed (canonical fqdn); never modified
	ttl  uint32         // when hasTTL; 0 is served as 0
	// hasTTL: the record sets its TTL; without, the server block's default.
	hasTTL bool
	down   gslbv1.DownResponse
	fam    [numFamilies]answerSet
	// cnameOnly: every member is a hostname, so the name is an alias and the
	// CNAME answers queries of any type.
	cnameOnly bool
	// members holds the answer counters, aligned with src.Members.
	members []*memberStat
	alg     gslbv1.Algorithm
	route   *route // TOPOLOGY, GEO and CONSISTENT_HASH only
}

type answerSet struct {
	state answerState
	cands []cand
	// order lists cands by descending weight; it fills answers 2..N.
	order []uint16
	pick  *picker // stateServe only
	// groups splits cands by site, indexed by the route's site ids
	// (TOPOLOGY and GEO only).
	groups []siteGroup
}

// cand is one possible answer: a prototype RR whose owner name and TTL are
// set per query.
type cand struct {
	rr     dns.RR
	target string      // CNAME target (canonical), for in-zone chasing
	stat   *memberStat // nil for fallback addresses
	weight uint32      // the member's weight (CONSISTENT_HASH)
	hash   uint64      // keyHash of the member (CONSISTENT_HASH)
}

// memberStat counts the answers given with one member. It is carried from
// one table version to the next while the member stays in the record, so the
// counter is continuous across pushes.
type memberStat struct {
	key, cluster, site string
	answers            atomic.Uint64
}

// compileRecord builds the served form of r (validated, canonical fqdn).
// prev is the record of the same name in the previous table, or nil; its
// member counters are reused.
func compileRecord(r *gslbv1.Record, prev *Record, sc scheduleCache, rc routeCache) *Record {
	rec := &Record{
		name:   r.GetFqdn(),
		src:    r,
		ttl:    r.GetTtl(),
		hasTTL: r.Ttl != nil,
		down:   r.GetDownResponse(),
		alg:    r.GetAlgorithm(),
	}
	if usesRoute(rec.alg) {
		rec.route = rc.get(r.GetRouting())
	}
	if rec.down == gslbv1.DownResponse_DOWN_RESPONSE_UNSPECIFIED {
		rec.down = gslbv1.DownResponse_DOWN_RESPONSE_ALL
	}

	var prevStats map[string]*memberStat
	if prev != nil {
		prevStats = make(map[string]*memberStat, len(prev.members))
		for _, s := range prev.members {
			prevStats[s.key] = s
		}
	}

	ms := r.GetMembers()
	addrs := make([]netip.Addr, len(ms))
	rec.members = make([]*memberStat, len(ms))
	rec.cnameOnly = len(ms) > 0
	for i, m := range ms {
		key := gslbv1.MemberKey(m)
		s := prevStats[key]
		if s == nil || s.cluster != m.GetCluster() || s.site != m.GetSite() {
			s = &memberStat{key: key, cluster: m.GetCluster(), site: m.GetSite()}
			if old := prevStats[key]; old != nil {
				s.answers.Store(old.answers.Load())
			}
		}
		rec.members[i] = s
		if m.GetAddress() != "" {
			addrs[i], _ = gslbv1.ParseAddress(m.GetAddress())
			rec.cnameOnly = false
		}
	}

	for f := range numFamilies {
		rec.fam[f] = compileFamily(rec, family(f), addrs, r, sc)
	}
	return rec
}

func inFamily(a netip.Addr, f family) bool {
	if f == famV4 {
		return a.Is4()
	}
	return a.Is6()
}

// compileFamily computes the answer set of one family. Members that can
// answer it are its addresses and every hostname (a CNAME answers any type).
func compileFamily(rec *Record, f family, addrs []netip.Addr, r *gslbv1.Record, sc scheduleCache) answerSet {
	ms := r.GetMembers()
	eligible := make([]int, 0, len(ms))
	for i, m := range ms {
		if m.GetHostname() != "" || inFamily(addrs[i], f) {
			eligible = append(eligible, i)
		}
	}
	if len(eligible) == 0 {
		return answerSet{state: stateNoData}
	}

	// The active level: the highest priority that has a healthy member with
	// a positive weight.
	best, found := uint32(0), false
	for _, i := range eligible {
		m := ms[i]
		if servable(m) && (!found || m.GetPriority() > best) {
			best, found = m.GetPriority(), true
		}
	}
	if found {
		var active []int
		var weights []uint32
		for _, i := range eligible {
			if m := ms[i]; servable(m) && m.GetPriority() == best {
				active = append(active, i)
				weights = append(weights, m.GetWeight())
			}
		}
		set := answerSet{state: stateServe, cands: memberCands(rec, active, addrs, r)}
		set.order = byWeight(weights)
		set.pick = &picker{random: r.GetAlgorithm() == gslbv1.Algorithm_ALGORITHM_RANDOM}
		if set.pick.random {
			set.pick.cum = make([]uint32, len(weights))
			sum := uint32(0)
			for i, w := range weights {
				sum += w
				set.pick.cum[i] = sum
			}
		} else {
			set.pick.sched = sc.schedule(weights)
		}
		if rec.route != nil && rec.alg != gslbv1.Algorithm_ALGORITHM_CONSISTENT_HASH {
			set.groups = compileGroups(rec.route, set.cands, weights, sc)
		}
		return set
	}

	// Nothing healthy: precompute what the down response answers.
	set := answerSet{state: stateDown}
	switch rec.down {
	case gslbv1.DownResponse_DOWN_RESPONSE_ALL:
		// Fail open: every address member of the family, ignoring health.
		// A record of hostnames only answers with its heaviest hostname.
		var all []int
		for _, i := range eligible {
			if ms[i].GetAddress() != "" {
				all = append(all, i)
			}
		}
		if len(all) == 0 {
			heaviest := eligible[0]
			for _, i := range eligible {
				if ms[i].GetWeight() > ms[heaviest].GetWeight() {
					heaviest = i
				}
			}
			all = []int{heaviest}
		}
		set.cands = memberCands(rec, all, addrs, r)
	case gslbv1.DownResponse_DOWN_RESPONSE_FALLBACK:
		for _, s := range r.GetFallback() {
			a, _ := gslbv1.ParseAddress(s)
			if inFamily(a, f) {
				set.cands = append(set.cands, cand{rr: addressRR(rec.name, a)})
			}
		}
	}
	return set
}

// servable reports whether a member may be chosen: not known to be down and
// not drained (weight 0).
func servable(m *gslbv1.Member) bool {
	return m.GetHealth() != gslbv1.Health_HEALTH_DOWN && m.GetWeight() > 0
}

func memberCands(rec *Record, idx []int, addrs []netip.Addr, r *gslbv1.Record) []cand {
	cs := make([]cand, len(idx))
	for j, i := range idx {
		m := r.GetMembers()[i]
		if h := m.GetHostname(); h != "" {
			t, _ := gslbv1.CanonicalName(h)
			cs[j] = cand{
				rr:     &dns.CNAME{Hdr: dns.RR_Header{Name: rec.name, Rrtype: dns.TypeCNAME, Class: dns.ClassINET}, Target: t},
				target: t,
				stat:   rec.members[i],
				weight: m.GetWeight(),
				hash:   gslbv1.MemberHash(rec.members[i].key),
			}
			continue
		}
		cs[j] = cand{rr: addressRR(rec.name, addrs[i]), stat: rec.members[i], weight: m.GetWeight(), hash: gslbv1.MemberHash(rec.members[i].key)}
	}
	return cs
}

func addressRR(name string, a netip.Addr) dns.RR {
	if a.Is4() {
		b := a.As4()
		return &dns.A{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeA, Class: dns.ClassINET}, A: net.IP(b[:])}
	}
	b := a.As16()
	return &dns.AAAA{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeAAAA, Class: dns.ClassINET}, AAAA: net.IP(b[:])}
}

// byWeight returns the indexes 0..n-1 ordered by descending weight (stable).
func byWeight(weights []uint32) []uint16 {
	o := make([]uint16, len(weights))
	for i := range o {
		o[i] = uint16(i)
	}
	slices.SortStableFunc(o, func(a, b uint16) int {
		switch {
		case weights[a] > weights[b]:
			return -1
		case weights[a] < weights[b]:
			return 1
		}
		return 0
	})
	return o
}
