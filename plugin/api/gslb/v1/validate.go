package gslbv1

// Hand-written helpers shared by the plugin (which must refuse a bad push) and
// by feeders such as gslb-syncer (which should refuse bad input before it is
// pushed). Keeping one implementation means both sides agree on what is valid.

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/miekg/dns"
)

// Limits of one record.
const (
	MaxWeight         = 1000       // like Avi's pool ratio (1-1000); AMKO allows 1-20
	MaxMembers        = 1024       // members per record
	MaxFallback       = 16         // fallback addresses per record
	MaxTTL            = 2147483647 // RFC 2181 section 8
	MaxRecordsPerPush = 2_000_000  // records (upserts + deletes) in one Apply
	MaxTopology       = 65536      // client networks in one routing
	MaxSites          = 256        // sites named in site_order or locations
)

// CanonicalName returns name lower-cased and fully qualified, or an error when
// it is not a valid domain name.
func CanonicalName(name string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("empty name")
	}
	n := strings.ToLower(dns.Fqdn(name))
	if _, ok := dns.IsDomainName(n); !ok || len(n) > 254 {
		return "", fmt.Errorf("invalid domain name %q", name)
	}
	return n, nil
}

// ParseAddress parses an IPv4 or IPv6 literal. IPv4-mapped IPv6 addresses are
// unmapped; scoped (zone) addresses are refused, they mean nothing to a client.
func ParseAddress(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("invalid address %q", s)
	}
	if a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("invalid address %q: zoned addresses are not allowed", s)
	}
	return a.Unmap(), nil
}

// MemberKey identifies a member within its record: its address or hostname,
// in canonical form.
func MemberKey(m *Member) string {
	if m.GetAddress() != "" {
		if a, err := ParseAddress(m.GetAddress()); err == nil {
			return a.String()
		}
		return m.GetAddress()
	}
	return strings.ToLower(dns.Fqdn(m.GetHostname()))
}

// ValidateRecord checks one record on its own (zones are the caller's
// business). The error names the record and, where it applies, the member.
func ValidateRecord(r *Record) error {
	return validateRecord(r, ValidateRouting)
}

// validateRecord is ValidateRecord with the routing checked by checkRouting.
func validateRecord(r *Record, checkRouting func(Algorithm, *Routing) error) error {
	name, err := CanonicalName(r.GetFqdn())
	if err != nil {
		return fmt.Errorf("record %q: %v", r.GetFqdn(), err)
	}
	fail := func(format string, a ...any) error {
		return fmt.Errorf("record %q: %s", name, fmt.Sprintf(format, a...))
	}
	if r.GetTtl() > MaxTTL {
		return fail("ttl %d is larger than %d", r.GetTtl(), MaxTTL)
	}
	if _, ok := Algorithm_name[int32(r.GetAlgorithm())]; !ok {
		return fail("unknown algorithm %d", r.GetAlgorithm())
	}
	if _, ok := DownResponse_name[int32(r.GetDownResponse())]; !ok {
		return fail("unknown down_response %d", r.GetDownResponse())
	}
	if len(r.GetFallback()) > MaxFallback {
		return fail("%d fallback addresses, at most %d", len(r.GetFallback()), MaxFallback)
	}
	for _, f := range r.GetFallback() {
		if _, err := ParseAddress(f); err != nil {
			return fail("fallback: %v", err)
		}
	}
	if r.GetDownResponse() == DownResponse_DOWN_RESPONSE_FALLBACK && len(r.GetFallback()) == 0 {
		return fail("down_response FALLBACK needs at least one fallback address")
	}
	if err := checkRouting(r.GetAlgorithm(), r.GetRouting()); err != nil {
		return fail("routing: %v", err)
	}
	if len(r.GetMembers()) > MaxMembers {
		return fail("%d members, at most %d", len(r.GetMembers()), MaxMembers)
	}
	seen := make(map[string]int, len(r.GetMembers()))
	for i, m := range r.GetMembers() {
		mfail := func(format string, a ...any) error {
			return fail("member %d (%s): %s", i+1, memberLabel(m), fmt.Sprintf(format, a...))
		}
		switch {
		case m.GetAddress() != "" && m.GetHostname() != "":
			return mfail("has both address and hostname; set exactly one")
		case m.GetAddress() == "" && m.GetHostname() == "":
			return mfail("has neither address nor hostname")
		case m.GetAddress() != "":
			if _, err := ParseAddress(m.GetAddress()); err != nil {
				return mfail("%v", err)
			}
		default:
			h, err := CanonicalName(m.GetHostname())
			if err != nil {
				return mfail("hostname: %v", err)
			}
			if h == name {
				return mfail("hostname points at the record itself")
			}
		}
		if m.GetWeight() > MaxWeight {
			return mfail("weight %d is larger than %d", m.GetWeight(), MaxWeight)
		}
		if _, ok := Health_name[int32(m.GetHealth())]; !ok {
			return mfail("unknown health %d", m.GetHealth())
		}
		if err := validateCheck(m.GetCheck()); err != nil {
			return mfail("%v", err)
		}
		k := MemberKey(m)
		if j, dup := seen[k]; dup {
			return mfail("duplicate of member %d", j)
		}
		seen[k] = i + 1
	}
	return nil
}

func memberLabel(m *Member) string {
	s := m.GetAddress()
	if s == "" {
		s = m.GetHostname()
	}
	if m.GetCluster() != "" {
		s += " in " + m.GetCluster()
	}
	return s
}

// ValidateRouting checks the client routing of a record with the given
// algorithm: well-formed, canonical and unique CIDRs, named sites, locations
// on the globe, hash masks within the address, and what the algorithm needs
// (a topology map for TOPOLOGY, locations for GEO).
func ValidateRouting(alg Algorithm, rt *Routing) error {
	if err := validateTopology(rt.GetTopology()); err != nil {
		return err
	}
	if err := validateSiteOrder(rt.GetSiteOrder()); err != nil {
		return err
	}
	if err := validateLocations(rt.GetLocations()); err != nil {
		return err
	}
	if m := rt.GetHashMaskV4(); m > 32 {
		return fmt.Errorf("hash_mask_v4 %d is longer than 32", m)
	}
	if m := rt.GetHashMaskV6(); m > 128 {
		return fmt.Errorf("hash_mask_v6 %d is longer than 128", m)
	}
	switch {
	case alg == Algorithm_ALGORITHM_TOPOLOGY && len(rt.GetTopology()) == 0:
		return fmt.Errorf("algorithm TOPOLOGY needs at least one client network in topology")
	case alg == Algorithm_ALGORITHM_GEO && len(rt.GetLocations()) == 0:
		return fmt.Errorf("algorithm GEO needs at least one site location")
	}
	return nil
}

// ParseClientNetwork parses a CIDR of a topology map: IPv4 or IPv6, no zone,
// host bits zero (192.0.2.1/24 is refused: it names 192.0.2.0/24 ambiguously).
func ParseClientNetwork(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("invalid CIDR %q", s)
	}
	if p.Addr().Is4In6() {
		return netip.Prefix{}, fmt.Errorf("invalid CIDR %q: write IPv4-mapped networks as IPv4", s)
	}
	if p.Masked() != p {
		return netip.Prefix{}, fmt.Errorf("CIDR %q has host bits set; did you mean %s?", s, p.Masked())
	}
	return p, nil
}

func validateTopology(nets []*ClientNetwork) error {
	if len(nets) > MaxTopology {
		return fmt.Errorf("%d client networks, at most %d", len(nets), MaxTopology)
	}
	seen := make(map[netip.Prefix]int, len(nets))
	for i, n := range nets {
		p, err := ParseClientNetwork(n.GetCidr())
		if err != nil {
			return fmt.Errorf("topology %d: %v", i+1, err)
		}
		if n.GetSite() == "" {
			return fmt.Errorf("topology %d (%s): no site", i+1, p)
		}
		if j, dup := seen[p]; dup {
			return fmt.Errorf("topology %d (%s): duplicate of topology %d", i+1, p, j)
		}
		seen[p] = i + 1
	}
	return nil
}

func validateSiteOrder(order []string) error {
	if len(order) > MaxSites {
		return fmt.Errorf("%d sites in site_order, at most %d", len(order), MaxSites)
	}
	seen := make(map[string]bool, len(order))
	for i, s := range order {
		if s == "" {
			return fmt.Errorf("site_order %d: empty site", i+1)
		}
		if seen[s] {
			return fmt.Errorf("site_order %d: site %q listed twice", i+1, s)
		}
		seen[s] = true
	}
	return nil
}

func validateLocations(locs []*SiteLocation) error {
	if len(locs) > MaxSites {
		return fmt.Errorf("%d site locations, at most %d", len(locs), MaxSites)
	}
	seen := make(map[string]bool, len(locs))
	for i, l := range locs {
		switch lat, lon := l.GetLatitude(), l.GetLongitude(); {
		case l.GetSite() == "":
			return fmt.Errorf("location %d: no site", i+1)
		case seen[l.GetSite()]:
			return fmt.Errorf("location %d: site %q located twice", i+1, l.GetSite())
		case !(lat >= -90 && lat <= 90):
			return fmt.Errorf("location of site %q: latitude %v is not within -90..90", l.GetSite(), lat)
		case !(lon >= -180 && lon <= 180):
			return fmt.Errorf("location of site %q: longitude %v is not within -180..180", l.GetSite(), lon)
		}
		seen[l.GetSite()] = true
	}
	return nil
}
