package gslb

import "net/netip"

// prefixTrie maps client networks of one family to site ids: a binary trie
// in one slice, built when a table is applied and read without allocating.
type prefixTrie struct {
	nodes []trieNode // nodes[0] is the root (the empty prefix)
}

type trieNode struct {
	child [2]int32 // 0: none (the root is never a child)
	site  int32    // -1: no network ends here
}

// insert maps the network p to site (later inserts of p win).
func (t *prefixTrie) insert(p netip.Prefix, site int) {
	if len(t.nodes) == 0 {
		t.nodes = append(t.nodes, trieNode{site: -1})
	}
	b := p.Addr().As16()
	off := 0
	if p.Addr().Is4() {
		off = 96 // IPv4 addresses sit in the last 4 bytes of As16
	}
	n := int32(0)
	for i := 0; i < p.Bits(); i++ {
		bit := bitAt(&b, off+i)
		next := t.nodes[n].child[bit]
		if next == 0 {
			next = int32(len(t.nodes))
			t.nodes = append(t.nodes, trieNode{site: -1})
			t.nodes[n].child[bit] = next
		}
		n = next
	}
	t.nodes[n].site = int32(site)
}

// lookup returns the site of the longest network holding a (-1: none) and
// the scope: how many leading bits of a decided it. Every address that
// shares those bits with a gets the same site.
func (t *prefixTrie) lookup(a netip.Addr) (site, scope int) {
	if len(t.nodes) == 0 {
		return -1, 0
	}
	b := a.As16()
	off, bits := 0, 128
	if a.Is4() {
		off, bits = 96, 32
	}
	site = -1
	n := int32(0)
	for depth := 0; ; depth++ {
		node := &t.nodes[n]
		if node.site >= 0 {
			site = int(node.site)
		}
		if depth == bits {
			return site, depth
		}
		next := node.child[bitAt(&b, off+depth)]
		if next == 0 {
			if node.child[0] == 0 && node.child[1] == 0 {
				return site, depth // a leaf: nothing below can differ
			}
			return site, depth + 1 // the other branch differs at this bit
		}
		n = next
	}
}

func bitAt(b *[16]byte, i int) int {
	return int(b[i/8]>>(7-i%8)) & 1
}
