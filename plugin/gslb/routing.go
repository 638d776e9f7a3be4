package gslb

import (
	"bytes"
	"math"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// route is the compiled Routing of a record: what the client-dependent
// algorithms read at query time. Records with equal routing share one route
// (interned per table build), so a topology map used by every record of a
// policy is compiled once.
type route struct {
	sites        []string // site id → name: every site the routing names
	topo4, topo6 prefixTrie
	order        []int           // site ids of site_order
	loc          []geoPoint      // by site id; ok false: not located
	src          *gslbv1.Routing // its hash masks, for CONSISTENT_HASH
}

// geoPoint is a location in radians, with its cosine of latitude precomputed.
type geoPoint struct {
	lat, lon, cosLat float64
	ok               bool
}

func newGeoPoint(latDeg, lonDeg float64) geoPoint {
	lat, lon := latDeg*math.Pi/180, lonDeg*math.Pi/180
	return geoPoint{lat: lat, lon: lon, cosLat: math.Cos(lat), ok: true}
}

// compileRoute builds the route of a validated Routing.
func compileRoute(rt *gslbv1.Routing) *route {
	r := &route{src: rt}
	ids := map[string]int{}
	id := func(site string) int {
		i, ok := ids[site]
		if !ok {
			i = len(r.sites)
			ids[site] = i
			r.sites = append(r.sites, site)
		}
		return i
	}
	for _, n := range rt.GetTopology() {
		p, _ := gslbv1.ParseClientNetwork(n.GetCidr())
		if p.Addr().Is4() {
			r.topo4.insert(p, id(n.GetSite()))
		} else {
			r.topo6.insert(p, id(n.GetSite()))
		}
	}
	for _, s := range rt.GetSiteOrder() {
		r.order = append(r.order, id(s))
	}
	locs := rt.GetLocations()
	for _, l := range locs {
		id(l.GetSite())
	}
	r.loc = make([]geoPoint, len(r.sites))
	for _, l := range locs {
		r.loc[ids[l.GetSite()]] = newGeoPoint(l.GetLatitude(), l.GetLongitude())
	}
	return r
}

// siteID returns the id of a site name, or -1.
func (r *route) siteID(site string) int {
	for i, s := range r.sites {
		if s == site {
			return i
		}
	}
	return -1
}

// routeCache interns routes during one table build, keyed by content
// (gslbv1.RoutingHash, then gslbv1.RoutingEqual).
type routeCache map[uint64][]*route

func (c routeCache) get(rt *gslbv1.Routing) *route {
	key := gslbv1.RoutingHash(rt)
	for _, r := range c[key] {
		if gslbv1.RoutingEqual(r.src, rt) {
			return r
		}
	}
	r := compileRoute(rt)
	c[key] = append(c[key], r)
	return r
}

// usesRoute reports whether an algorithm depends on who asks.
func usesRoute(a gslbv1.Algorithm) bool {
	switch a {
	case gslbv1.Algorithm_ALGORITHM_TOPOLOGY, gslbv1.Algorithm_ALGORITHM_GEO, gslbv1.Algorithm_ALGORITHM_CONSISTENT_HASH:
		return true
	}
	return false
}

// siteGroup is the part of an answer set in one site: the indexes of its
// candidates and a WRR picker over them.
type siteGroup struct {
	cands []uint16
	pick  *picker // nil: no candidate in this site
}

// compileGroups splits the candidates of an answer set by site (members'
// sites), for TOPOLOGY and GEO. weights are the candidates' weights.
func compileGroups(rt *route, cands []cand, weights []uint32, sc scheduleCache) []siteGroup {
	groups := make([]siteGroup, len(rt.sites))
	for i, c := range cands {
		if s := rt.siteID(c.stat.site); s >= 0 {
			groups[s].cands = append(groups[s].cands, uint16(i))
		}
	}
	for s := range groups {
		g := &groups[s]
		if len(g.cands) == 0 {
			continue
		}
		ws := make([]uint32, len(g.cands))
		for j, i := range g.cands {
			ws[j] = weights[i]
		}
		g.pick = &picker{sched: sc.schedule(ws)}
	}
	return groups
}

// pickSite picks within the group of site s; ok is false when the site has
// no candidate.
func (set *answerSet) pickSite(s int, r Rand) (int, bool) {
	if s < 0 || s >= len(set.groups) || set.groups[s].pick == nil {
		return 0, false
	}
	g := &set.groups[s]
	return int(g.cands[g.pick.pick(r)]), true
}

// pickFallback tries the sites of the route's order, then the whole pool.
func (set *answerSet) pickFallback(rt *route, r Rand) int {
	for _, s := range rt.order {
		if i, ok := set.pickSite(s, r); ok {
			return i
		}
	}
	return set.pick.pick(r)
}

// choose returns the index of the candidate that answers, by the record's
// algorithm.
func (g *GSLB) choose(rec *Record, set *answerSet, c *client) int {
	switch rec.alg {
	case gslbv1.Algorithm_ALGORITHM_TOPOLOGY:
		return set.pickTopology(rec.route, c, g.rng)
	case gslbv1.Algorithm_ALGORITHM_GEO:
		return set.pickGeo(rec.route, c, g.geo, g.rng)
	case gslbv1.Algorithm_ALGORITHM_CONSISTENT_HASH:
		return set.pickHash(rec.route, c)
	}
	return set.pick.pick(g.rng)
}

// sameRecord is proto.Equal for records, with the routing compared by
// gslbv1.RoutingEqual: a map of thousands of networks carried by every record
// of a policy is compared without reflection.
func sameRecord(a, b *gslbv1.Record) bool {
	if !gslbv1.RoutingEqual(a.GetRouting(), b.GetRouting()) {
		return false
	}
	ma, mb := a.ProtoReflect(), b.ProtoReflect()
	routing := ma.Descriptor().Fields().ByName("routing")
	same := func(x, y protoreflect.Message) bool {
		eq := true
		x.Range(func(f protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			eq = f == routing || (y.Has(f) && v.Equal(y.Get(f)))
			return eq
		})
		return eq
	}
	return same(ma, mb) && same(mb, ma) && bytes.Equal(ma.GetUnknown(), mb.GetUnknown())
}
