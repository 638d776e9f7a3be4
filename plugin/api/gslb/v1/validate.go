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
