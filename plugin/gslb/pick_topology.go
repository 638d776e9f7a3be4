package gslb

// pickTopology serves the client's site: the site of the longest client
// network holding the client's address (or ECS prefix), WRR within it. When
// the site has no candidate (no healthy member at the active priority), or
// the client is in no network, the route's site order and then the whole
// pool serve. The answer depends on as many bits as the trie looked at.
func (set *answerSet) pickTopology(rt *route, c *client, r Rand) int {
	a, _ := c.address()
	if !a.IsValid() {
		return set.pickFallback(rt, r)
	}
	t := &rt.topo4
	if a.Is6() {
		t = &rt.topo6
	}
	site, scope := t.lookup(a)
	c.depends(scope)
	if i, ok := set.pickSite(site, r); ok {
		return i
	}
	return set.pickFallback(rt, r)
}
