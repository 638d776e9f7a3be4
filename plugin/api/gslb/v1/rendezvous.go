package gslbv1

import (
	"encoding/binary"
	"math"
	"net/netip"
)

// Weighted rendezvous hashing of ALGORITHM_CONSISTENT_HASH, shared by the
// plugin (which answers) and gslbctl explain (which says why), so that both
// pick the same member. Every candidate scores weight / -ln(u), u a uniform
// number in (0,1) drawn from the hash of the client prefix and the member;
// the highest score wins.

// Default hash masks, like AMKO's hashMask.
const (
	DefaultHashMaskV4 = 24
	DefaultHashMaskV6 = 56
)

// HashPrefix is the client prefix that CONSISTENT_HASH hashes: the address
// (or ECS prefix) of bits length cut to the routing's mask.
func HashPrefix(a netip.Addr, bits int, rt *Routing) netip.Prefix {
	mask := int(rt.GetHashMaskV4())
	if mask == 0 {
		mask = DefaultHashMaskV4
	}
	if a.Is6() {
		if mask = int(rt.GetHashMaskV6()); mask == 0 {
			mask = DefaultHashMaskV6
		}
	}
	p, err := a.Prefix(min(bits, mask))
	if err != nil {
		return netip.Prefix{} // no address: every such client hashes alike
	}
	return p
}

// PrefixHash hashes a client prefix (family, length and masked address).
func PrefixHash(p netip.Prefix) uint64 {
	b := p.Addr().As16()
	h := uint64(p.Bits())
	if p.Addr().Is4() {
		h |= 1 << 8
	}
	h = mix64(h ^ binary.BigEndian.Uint64(b[:8]))
	return mix64(h ^ binary.BigEndian.Uint64(b[8:]))
}

// MemberHash hashes a member key (MemberKey): FNV-1a, then mixed. It is
// stable across table versions and plugin instances.
func MemberHash(key string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(key); i++ {
		h ^= uint64(key[i])
		h *= 1099511628211
	}
	return mix64(h)
}

// RendezvousScore is the score of a member for a client prefix.
func RendezvousScore(prefixHash, memberHash uint64, weight uint32) float64 {
	u := (float64(mix64(prefixHash^memberHash)>>11) + 0.5) / (1 << 53) // in (0,1)
	return float64(weight) / -math.Log(u)
}

// mix64 is the SplitMix64 finalizer: every input bit affects every output bit.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
