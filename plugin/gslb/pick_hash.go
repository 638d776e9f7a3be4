package gslb

import gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"

// pickHash picks by weighted rendezvous hashing (gslbv1.RendezvousScore) on
// the client's prefix: its address, or its ECS prefix, cut to the route's
// hash mask. The same prefix gets the same member while that member is a
// candidate; removing a member moves only the prefixes it had; over many
// prefixes each member's share is its weight's. Candidates are few, so
// scoring all of them is cheap. The answer depends on the prefix's bits.
func (set *answerSet) pickHash(rt *route, c *client) int {
	a, bits := c.address()
	p := gslbv1.HashPrefix(a, bits, rt.src)
	c.depends(p.Bits())
	key := gslbv1.PrefixHash(p)
	best, bestScore := 0, -1.0
	for i := range set.cands {
		if s := gslbv1.RendezvousScore(key, set.cands[i].hash, set.cands[i].weight); s > bestScore {
			best, bestScore = i, s
		}
	}
	return best
}
