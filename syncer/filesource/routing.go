package filesource

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"go.yaml.in/yaml/v3"
)

// This file reads what routing by who asks needs (algorithms topology, geo
// and consistentHash):
//
//	sites:                    # optional: where each site is, whom it serves
//	  SITE1:
//	    location: {latitude: 40.42, longitude: -3.70}   # for geo
//	    clients: [192.0.2.0/24, "2001:db8:1::/48"]     # for topology
//	  SITE2:
//	    location: {latitude: 50.11, longitude: 8.68}
//	    clients: [198.51.100.0/24]
//	defaults:
//	  siteOrder: [SITE1, SITE2]    # when the client's site has no healthy member
//	  hashMask: {v4: 24, v6: 56}   # consistentHash: the client prefix hashed
//
// A record sets siteOrder and hashMask itself to override the defaults.
// Members are placed by their site; the sites map is the same for every
// record (a site's networks and location are facts about the site).

var (
	siteKeys     = []string{"location", "clients"}
	locationKeys = []string{"latitude", "longitude"}
	hashMaskKeys = []string{"v4", "v6"}
)

// sites is the parsed sites mapping: the topology map and the locations, in
// file order, and the line of each site's name.
type sites struct {
	topology  []*gslbv1.ClientNetwork
	locations []*gslbv1.SiteLocation
	line      map[string]int
}

// routingDefaults are the routing fields of defaults (and of a record).
type routingDefaults struct {
	order    []string
	orderAt  *yaml.Node
	mask4    uint32
	mask6    uint32
	maskNode *yaml.Node
}

func (p *parser) sites(n *yaml.Node) (*sites, error) {
	if n.Kind != yaml.MappingNode {
		return nil, p.errorf(n, "sites must be a mapping of site names, got %s", describe(n))
	}
	s := &sites{line: map[string]int{}}
	networkAt := map[netip.Prefix]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name, err := p.str(k, "sites: a site name")
		if err != nil {
			return nil, err
		}
		if line, dup := s.line[name]; dup {
			return nil, p.errorf(k, "sites: duplicate site %q, first at line %d", name, line)
		}
		s.line[name] = k.Line
		if err := p.site(v, name, s, networkAt); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// site reads one site; networkAt maps the networks seen so far to their site.
func (p *parser) site(n *yaml.Node, name string, s *sites, networkAt map[netip.Prefix]string) error {
	label := fmt.Sprintf("site %q", name)
	if isNull(n) {
		return nil // a site that is only named (e.g. in siteOrder)
	}
	if n.Kind != yaml.MappingNode {
		return p.errorf(n, "%s: want a mapping with location and clients, got %s", label, describe(n))
	}
	f, err := p.fields(n, siteKeys)
	if err != nil {
		return err
	}
	if err := f.problem(p, label); err != nil {
		return err
	}
	if v := f.get("location"); v != nil {
		loc, err := p.location(v, label+": location")
		if err != nil {
			return err
		}
		loc.Site = name
		s.locations = append(s.locations, loc)
	}
	v := f.get("clients")
	if v == nil {
		return nil
	}
	cidrs, err := p.strings(v, label+": clients")
	if err != nil {
		return err
	}
	for i, c := range cidrs {
		item := v.Content[i]
		pfx, err := gslbv1.ParseClientNetwork(c)
		if err != nil {
			return p.errorf(item, "%s: clients: %v", label, err)
		}
		if other, dup := networkAt[pfx]; dup {
			return p.errorf(item, "%s: clients: %s is already a client network of site %q", label, pfx, other)
		}
		networkAt[pfx] = name
		s.topology = append(s.topology, &gslbv1.ClientNetwork{Cidr: pfx.String(), Site: name})
	}
	return nil
}

func (p *parser) location(n *yaml.Node, label string) (*gslbv1.SiteLocation, error) {
	if n.Kind != yaml.MappingNode {
		return nil, p.errorf(n, "%s must be a mapping with latitude and longitude, got %s", label, describe(n))
	}
	f, err := p.fields(n, locationKeys)
	if err != nil {
		return nil, err
	}
	if err := f.problem(p, label); err != nil {
		return nil, err
	}
	lat, lon := f.get("latitude"), f.get("longitude")
	if lat == nil || lon == nil {
		return nil, p.errorf(n, "%s: want both latitude and longitude", label)
	}
	loc := &gslbv1.SiteLocation{}
	if loc.Latitude, err = p.degrees(lat, label+": latitude", 90); err != nil {
		return nil, err
	}
	if loc.Longitude, err = p.degrees(lon, label+": longitude", 180); err != nil {
		return nil, err
	}
	return loc, nil
}

// degrees reads a number between -limit and limit.
func (p *parser) degrees(n *yaml.Node, what string, limit float64) (float64, error) {
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") {
		return 0, p.errorf(n, "%s must be a number of degrees, got %s", what, describe(n))
	}
	v, err := strconv.ParseFloat(n.Value, 64)
	if err != nil || math.IsNaN(v) || v < -limit || v > limit {
		return 0, p.errorf(n, "%s %s must be between %g and %g", what, n.Value, -limit, limit)
	}
	return v, nil
}

// routingFields reads siteOrder and hashMask of defaults or of a record,
// over base (the defaults, for a record).
func (p *parser) routingFields(f *fieldSet, label string, base routingDefaults) (routingDefaults, error) {
	rd := base
	if v := f.get("siteOrder"); v != nil {
		order, err := p.strings(v, label+"siteOrder")
		if err != nil {
			return rd, err
		}
		rd.order, rd.orderAt = order, v
	}
	if v := f.get("hashMask"); v != nil {
		if v.Kind != yaml.MappingNode {
			return rd, p.errorf(v, "%shashMask must be a mapping with v4 and v6, got %s", label, describe(v))
		}
		mf, err := p.fields(v, hashMaskKeys)
		if err != nil {
			return rd, err
		}
		if err := mf.problem(p, label+"hashMask"); err != nil {
			return rd, err
		}
		rd.maskNode = v
		if m := mf.get("v4"); m != nil {
			if rd.mask4, err = p.uint32(m, label+"hashMask: v4", 32); err != nil {
				return rd, err
			}
		}
		if m := mf.get("v6"); m != nil {
			if rd.mask6, err = p.uint32(m, label+"hashMask: v6", 128); err != nil {
				return rd, err
			}
		}
	}
	return rd, nil
}

// routing builds the routing of a record whose algorithm depends on who asks
// (nil for the others), and checks that its sites are known.
func (p *parser) routing(r *gslbv1.Record, rd routingDefaults, s *sites, infos []memberInfo, label string, n *yaml.Node) (*gslbv1.Routing, error) {
	alg := r.GetAlgorithm()
	if alg != gslbv1.Algorithm_ALGORITHM_TOPOLOGY && alg != gslbv1.Algorithm_ALGORITHM_GEO && alg != gslbv1.Algorithm_ALGORITHM_CONSISTENT_HASH {
		return nil, nil
	}
	rt := &gslbv1.Routing{HashMaskV4: rd.mask4, HashMaskV6: rd.mask6}
	if alg == gslbv1.Algorithm_ALGORITHM_CONSISTENT_HASH {
		return rt, nil
	}
	if s == nil || len(s.line) == 0 {
		return nil, p.errorf(n, "%s: algorithm %s needs the sites mapping (their clients or locations)", label, algorithmName(alg))
	}
	for _, site := range rd.order {
		if _, ok := s.line[site]; !ok {
			return nil, p.errorf(rd.orderAt, "%s: siteOrder: unknown site %q (not in sites)", label, site)
		}
	}
	for i, m := range infos {
		switch site := m.member.GetSite(); {
		case site == "":
			return nil, p.errorf(m.node, "%s: member %d (%s) has no site; algorithm %s places members by site", label, i+1, memberLabel(m.member), algorithmName(alg))
		case s.line[site] == 0:
			return nil, p.errorf(m.node, "%s: member %d (%s): unknown site %q (not in sites)", label, i+1, memberLabel(m.member), site)
		}
	}
	rt.SiteOrder = rd.order
	if alg == gslbv1.Algorithm_ALGORITHM_TOPOLOGY {
		rt.Topology = s.topology
	} else {
		rt.Locations = s.locations
	}
	return rt, nil
}

func algorithmName(a gslbv1.Algorithm) string {
	for _, v := range algorithms {
		if v.value == a {
			return v.name
		}
	}
	return a.String()
}
