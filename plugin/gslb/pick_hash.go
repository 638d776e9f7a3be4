package gslb

import (
	"encoding/binary"
	"math"
	"net/netip"
)

// pickHash picks by weighted rendezvous hashing on the client's prefix (its
// address, or its ECS prefix, cut to the route's hash mask): every candidate
// scores weight / -ln(u), u a uniform number in (0,1) drawn from the hash of
// the prefix and the member; the highest score wins. The same prefix gets
// the same member while that member is a candidate; removing a member moves
// only the prefixes it had; over many prefixes each member's share is its
// weight's. Candidates are few, so scoring all of them is cheap.
func (set *answerSet) pickHash(rt *route, c *client) int {
	a, bits := c.address()
	mask := rt.mask4
	if a.Is6() {
		mask = rt.mask6
	}
	n := min(bits, mask)
	p, err := a.Prefix(n)
	if err != nil {
		p = netip.Prefix{} // no address: every such client hashes alike
	}
	c.depends(p.Bits())
	key := prefixHash(p)
	best, bestScore := 0, -1.0
	for i := range set.cands {
		cd := &set.cands[i]
		u := (float64(mix64(key^cd.hash)>>11) + 0.5) / (1 << 53) // in (0,1)
		score := float64(cd.weight) / -math.Log(u)
		if score > bestScore {
			best, bestScore = i, score
		}
	}
	return best
}

// prefixHash hashes a prefix (family, bits and the masked address).
func prefixHash(p netip.Prefix) uint64 {
	b := p.Addr().As16()
	h := uint64(p.Bits())
	if p.Addr().Is4() {
		h |= 1 << 8
	}
	h = mix64(h ^ binary.BigEndian.Uint64(b[:8]))
	return mix64(h ^ binary.BigEndian.Uint64(b[8:]))
}

// keyHash hashes a member key (FNV-1a, then mixed): stable across table
// versions and across plugin instances, so every server picks alike.
func keyHash(key string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(key); i++ {
		h ^= uint64(key[i])
		h *= 1099511628211
	}
	return mix64(h)
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
