package gslbctl

import (
	"fmt"
	"io"
	"math"
	"net/netip"
	"strings"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"

	"github.com/miekg/dns"
)

// Locator finds where a client is (gslbctl explain --geoip reads the same
// database as the plugin). ok is false when the address is not located.
type Locator interface {
	Locate(a netip.Addr) (lat, lon float64, network netip.Prefix, ok bool)
}

// Candidate is one member of a record and what it does for the client.
type Candidate struct {
	Expected
	Priority uint32
	Health   string
	Role     string // "serves", "other site", "lower priority", "down", "drained", "other family"
	Share    float64
	Km       float64 // GEO: distance of its site from the client; -1 unknown
}

// Explanation says how the plugin answers a name for a client.
type Explanation struct {
	Name, Origin, Algorithm string
	Qtype                   uint16
	Client                  netip.Prefix
	Site                    string // the site chosen for the client ("" none)
	Why                     string // how the site (or member) was chosen
	Candidates              []Candidate
	Answer                  []Expected // who answers, with weights (the split the client sees)
	Down                    string     // not "": no healthy member, the down response applies
}

// Explain reproduces the plugin's choice for a client (an address, or the
// ECS prefix a resolver would send) from a record of the table. loc may be
// nil; GEO records then explain what the plugin's database would decide.
func Explain(r *gslbv1.Record, client netip.Prefix, qtype uint16, loc Locator) *Explanation {
	e := &Explanation{Name: r.GetFqdn(), Origin: r.GetOrigin(), Algorithm: algorithmName(r.GetAlgorithm()), Qtype: qtype, Client: client}
	active := activeLevel(r, qtype, e)
	if len(active) == 0 {
		e.Down = strings.ToLower(strings.TrimPrefix(r.GetDownResponse().String(), "DOWN_RESPONSE_"))
		if r.GetDownResponse() == gslbv1.DownResponse_DOWN_RESPONSE_UNSPECIFIED {
			e.Down = "all"
		}
		e.Why = "no healthy member: the down response (" + e.Down + ") applies"
		return e
	}
	switch r.GetAlgorithm() {
	case gslbv1.Algorithm_ALGORITHM_TOPOLOGY:
		explainTopology(r, e, active)
	case gslbv1.Algorithm_ALGORITHM_GEO:
		explainGeo(r, e, active, loc)
	case gslbv1.Algorithm_ALGORITHM_CONSISTENT_HASH:
		explainHash(r, e, active)
	default:
		e.Why = "every client alike: " + e.Algorithm + " over the healthy members of the best priority"
		serve(e, active)
	}
	return e
}

// activeLevel fills the candidates and returns the indexes of those that may
// serve: eligible for the family, healthy, weighted, at the best priority
// (the plugin's rule, as in Configured).
func activeLevel(r *gslbv1.Record, qtype uint16, e *Explanation) []int {
	ms := r.GetMembers()
	best, found := uint32(0), false
	for _, m := range ms {
		if servableFor(m, qtype) && (!found || m.GetPriority() > best) {
			best, found = m.GetPriority(), true
		}
	}
	var active []int
	for i, m := range ms {
		c := Candidate{Expected: Expected{Member: memberKey(m), Cluster: m.GetCluster(), Site: m.GetSite(), Weight: m.GetWeight()},
			Priority: m.GetPriority(), Health: strings.ToLower(strings.TrimPrefix(m.GetHealth().String(), "HEALTH_")), Km: -1}
		switch {
		case !eligibleFor(m, qtype):
			c.Role = "other family"
		case m.GetHealth() == gslbv1.Health_HEALTH_DOWN:
			c.Role = "down"
		case m.GetWeight() == 0:
			c.Role = "drained"
		case m.GetPriority() != best:
			c.Role = "lower priority"
		default:
			c.Role = "candidate"
			active = append(active, i)
		}
		e.Candidates = append(e.Candidates, c)
	}
	return active
}

func eligibleFor(m *gslbv1.Member, qtype uint16) bool {
	if m.GetHostname() != "" {
		return true
	}
	a, err := gslbv1.ParseAddress(m.GetAddress())
	return err == nil && (qtype == dns.TypeAAAA) == a.Is6()
}

func servableFor(m *gslbv1.Member, qtype uint16) bool {
	return eligibleFor(m, qtype) && m.GetHealth() != gslbv1.Health_HEALTH_DOWN && m.GetWeight() > 0
}

// serve marks the members that answer and their shares.
func serve(e *Explanation, idx []int) {
	total := 0.0
	for _, i := range idx {
		total += float64(e.Candidates[i].Weight)
	}
	for _, i := range idx {
		c := &e.Candidates[i]
		c.Role, c.Share = "serves", float64(c.Weight)/total
		e.Answer = append(e.Answer, c.Expected)
	}
}

// inSite returns the active candidates of a site.
func inSite(e *Explanation, active []int, site string) []int {
	var out []int
	for _, i := range active {
		if e.Candidates[i].Site == site {
			out = append(out, i)
		}
	}
	return out
}

// fallback serves the first site of the order with a candidate, else the pool.
func fallback(r *gslbv1.Record, e *Explanation, active []int, why string) {
	for _, s := range r.GetRouting().GetSiteOrder() {
		if in := inSite(e, active, s); len(in) > 0 {
			e.Site, e.Why = s, why+"; site order: "+s+" is the first with a healthy member"
			markOtherSites(e, active, s)
			serve(e, in)
			return
		}
	}
	e.Why = why + "; no site of the order has a healthy member: the whole pool serves"
	serve(e, active)
}

func markOtherSites(e *Explanation, active []int, site string) {
	for _, i := range active {
		if e.Candidates[i].Site != site {
			e.Candidates[i].Role = "other site"
		}
	}
}

func explainTopology(r *gslbv1.Record, e *Explanation, active []int) {
	best, bestBits := "", -1
	var bestNet string
	for _, n := range r.GetRouting().GetTopology() {
		p, err := gslbv1.ParseClientNetwork(n.GetCidr())
		if err == nil && p.Bits() > bestBits && p.Contains(e.Client.Addr()) {
			best, bestBits, bestNet = n.GetSite(), p.Bits(), p.String()
		}
	}
	if best == "" {
		fallback(r, e, active, "the client is in no network of the topology map")
		return
	}
	why := fmt.Sprintf("%s is in %s, which the topology map gives to %s", e.Client.Addr(), bestNet, best)
	if in := inSite(e, active, best); len(in) > 0 {
		e.Site, e.Why = best, why
		markOtherSites(e, active, best)
		serve(e, in)
		return
	}
	fallback(r, e, active, why+", which has no healthy member")
}

func explainGeo(r *gslbv1.Record, e *Explanation, active []int, loc Locator) {
	if loc == nil {
		fallback(r, e, active, "the plugin's GeoIP database locates the client (give --geoip with the same file to see where); if it cannot")
		return
	}
	lat, lon, network, ok := loc.Locate(e.Client.Addr())
	if !ok {
		fallback(r, e, active, fmt.Sprintf("the GeoIP database does not locate %s", e.Client.Addr()))
		return
	}
	km := map[string]float64{}
	for _, l := range r.GetRouting().GetLocations() {
		km[l.GetSite()] = greatCircleKm(lat, lon, l.GetLatitude(), l.GetLongitude())
	}
	best, bestKm := "", math.Inf(1)
	for _, i := range active {
		c := &e.Candidates[i]
		if d, ok := km[c.Site]; ok {
			c.Km = d
			if d < bestKm {
				best, bestKm = c.Site, d
			}
		}
	}
	where := fmt.Sprintf("the GeoIP database places %s (network %s) at %.2f, %.2f", e.Client.Addr(), network, lat, lon)
	if best == "" {
		fallback(r, e, active, where+"; no healthy member's site has a location")
		return
	}
	e.Site, e.Why = best, fmt.Sprintf("%s; %s is the nearest site with a healthy member (%.0f km)", where, best, bestKm)
	markOtherSites(e, active, best)
	serve(e, inSite(e, active, best))
}

func explainHash(r *gslbv1.Record, e *Explanation, active []int) {
	p := gslbv1.HashPrefix(e.Client.Addr(), e.Client.Bits(), r.GetRouting())
	key := gslbv1.PrefixHash(p)
	best, bestScore := -1, -1.0
	for _, i := range active {
		m := r.GetMembers()[i]
		if s := gslbv1.RendezvousScore(key, gslbv1.MemberHash(gslbv1.MemberKey(m)), m.GetWeight()); s > bestScore {
			best, bestScore = i, s
		}
	}
	e.Why = fmt.Sprintf("the client prefix %s hashes (weighted rendezvous) to %s; it stays there while that member is healthy",
		p, e.Candidates[best].Member)
	for _, i := range active {
		if i != best {
			e.Candidates[i].Role = "hashed elsewhere"
		}
	}
	serve(e, []int{best})
}

// greatCircleKm is the haversine distance on a sphere of the Earth's mean radius.
func greatCircleKm(lat1, lon1, lat2, lon2 float64) float64 {
	rad := math.Pi / 180
	sLat := math.Sin((lat2 - lat1) * rad / 2)
	sLon := math.Sin((lon2 - lon1) * rad / 2)
	h := sLat*sLat + math.Cos(lat1*rad)*math.Cos(lat2*rad)*sLon*sLon
	return 2 * 6371.0088 * math.Asin(math.Sqrt(min(1, h)))
}

func algorithmName(a gslbv1.Algorithm) string {
	if a == gslbv1.Algorithm_ALGORITHM_UNSPECIFIED {
		return "wrr"
	}
	return strings.ToLower(strings.TrimPrefix(a.String(), "ALGORITHM_"))
}

// Print writes the explanation for an operator.
func (e *Explanation) Print(w io.Writer) {
	fmt.Fprintf(w, "%s %s for client %s\n", e.Name, dns.TypeToString[e.Qtype], e.Client)
	fmt.Fprintf(w, "  from:      %s\n", dash(e.Origin))
	fmt.Fprintf(w, "  algorithm: %s\n", e.Algorithm)
	if e.Site != "" {
		fmt.Fprintf(w, "  site:      %s\n", e.Site)
	}
	fmt.Fprintf(w, "  why:       %s\n\n", e.Why)
	fmt.Fprintf(w, "  %-28s %-10s %-8s %6s %8s %-8s %-16s %s\n", "MEMBER", "CLUSTER", "SITE", "WEIGHT", "PRIORITY", "HEALTH", "ROLE", "SHARE")
	for _, c := range e.Candidates {
		share := ""
		if c.Role == "serves" {
			share = fmt.Sprintf("%.1f%%", 100*c.Share)
		}
		role := c.Role
		if c.Km >= 0 {
			role += fmt.Sprintf(" %.0fkm", c.Km)
		}
		line := fmt.Sprintf("  %-28s %-10s %-8s %6d %8d %-8s %-16s %s", c.Member, dash(c.Cluster), dash(c.Site), c.Weight, c.Priority, c.Health, role, share)
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}
	fmt.Fprintln(w)
	switch {
	case e.Down != "":
		fmt.Fprintf(w, "  answer: the down response %q\n", e.Down)
	case len(e.Answer) == 1:
		fmt.Fprintf(w, "  answer: %s\n", e.Answer[0].Member)
	default:
		parts := make([]string, len(e.Answer))
		for i, a := range e.Answer {
			parts[i] = fmt.Sprintf("%s (%d)", a.Member, a.Weight)
		}
		fmt.Fprintf(w, "  answer: one of %s, by weight\n", strings.Join(parts, ", "))
	}
}
