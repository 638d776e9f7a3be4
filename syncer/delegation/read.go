package delegation

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// ErrNotServed marks a parent server that does not serve the parent zone.
var ErrNotServed = errors.New("the server does not serve the parent zone")

// State is what the parent holds for the delegation, read over TCP.
type State struct {
	Serial uint32       // the parent zone's SOA serial
	NS     []string     // the zone's NS names, sorted
	Addrs  []netip.Addr // this site's NS name's A/AAAA records, sorted
}

func (s State) String() string {
	return fmt.Sprintf("serial %d, NS [%s], addresses %v", s.Serial, strings.Join(s.NS, " "), s.Addrs)
}

// registered reports whether the parent holds cfg's NS and exactly its
// addresses.
func (s State) registered(cfg Config) bool {
	want := slices.Clone(cfg.Addrs)
	slices.SortFunc(want, netip.Addr.Compare)
	return slices.Contains(s.NS, cfg.NS) && slices.Equal(s.Addrs, slices.Compact(want))
}

// Read asks the parent for its SOA serial, the zone's NS set (a referral)
// and the NS name's addresses (an answer, or the glue of a referral).
func (r *Registrar) Read(ctx context.Context) (State, error) {
	var st State
	soa, err := r.query(ctx, r.cfg.ParentZone, dns.TypeSOA)
	if err != nil {
		return st, err
	}
	for _, rr := range soa.Answer {
		if s, ok := rr.(*dns.SOA); ok {
			st.Serial = s.Serial
		}
	}
	if st.Serial == 0 {
		return st, fmt.Errorf("delegation: %s does not serve %s (no SOA: %s): %w", r.cfg.Server, r.cfg.ParentZone, dns.RcodeToString[soa.Rcode], ErrNotServed)
	}
	ns, err := r.query(ctx, r.cfg.Zone, dns.TypeNS)
	if err != nil {
		return st, err
	}
	for _, rr := range append(ns.Answer, ns.Ns...) {
		if n, ok := rr.(*dns.NS); ok && dns.CanonicalName(n.Hdr.Name) == r.cfg.Zone {
			st.NS = append(st.NS, dns.CanonicalName(n.Ns))
		}
	}
	for _, t := range []uint16{dns.TypeA, dns.TypeAAAA} {
		if !r.ownsGlue() {
			break
		}
		m, err := r.query(ctx, r.cfg.NS, t)
		if err != nil {
			return st, err
		}
		st.Addrs = append(st.Addrs, addrsOf(r.cfg.NS, append(m.Answer, m.Extra...))...)
	}
	slices.Sort(st.NS)
	st.NS = slices.Compact(st.NS)
	slices.SortFunc(st.Addrs, netip.Addr.Compare)
	st.Addrs = slices.Compact(st.Addrs)
	return st, nil
}

// query asks the parent without recursion, over TCP.
func (r *Registrar) query(ctx context.Context, name string, t uint16) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(name, t)
	m.RecursionDesired = false
	resp, err := r.exchange(ctx, m, nil)
	if err != nil {
		return nil, fmt.Errorf("delegation: reading %s %s from %s: %w", name, dns.TypeToString[t], r.cfg.Server, err)
	}
	return resp, nil
}

// addrsOf returns the addresses of the A/AAAA records owned by name.
func addrsOf(name string, rrs []dns.RR) []netip.Addr {
	var out []netip.Addr
	for _, rr := range rrs {
		if dns.CanonicalName(rr.Header().Name) != name {
			continue
		}
		var ip []byte
		switch a := rr.(type) {
		case *dns.A:
			ip = a.A
		case *dns.AAAA:
			ip = a.AAAA
		default:
			continue
		}
		if addr, ok := netip.AddrFromSlice(ip); ok {
			out = append(out, addr.Unmap())
		}
	}
	return out
}
