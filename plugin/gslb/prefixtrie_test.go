package gslb

import (
	"net/netip"
	"testing"
)

func TestPrefixTrie(t *testing.T) {
	var v4, v6 prefixTrie
	for i, n := range []string{"192.0.2.0/24", "198.51.100.0/24", "10.0.0.0/8", "10.1.0.0/16", "0.0.0.0/0"} {
		v4.insert(netip.MustParsePrefix(n), i)
	}
	v6.insert(netip.MustParsePrefix("2001:db8:1::/48"), 7)
	for _, tc := range []struct {
		trie        *prefixTrie
		addr        string
		site, scope int
	}{
		{&v4, "192.0.2.0", 0, 24},    // ends in a leaf
		{&v4, "192.0.2.77", 0, 24},   // any host of the /24
		{&v4, "198.51.100.1", 1, 24}, //
		{&v4, "10.9.9.9", 2, 13},     // 10/8; 10.9 and 10.1 part at bit 12
		{&v4, "10.1.2.3", 3, 16},     // the longest match
		{&v4, "203.0.113.5", 4, 5},   // only the default; 192 and 198 part at bit 4
		{&v4, "127.0.0.1", 4, 2},     // bit 1 decides: no network under 01
		{&v6, "2001:db8:1:ff::1", 7, 48},
		{&v6, "2001:db8:2::", -1, 47}, // differs from the /48 at its last bit
		{&prefixTrie{}, "192.0.2.1", -1, 0},
	} {
		site, scope := tc.trie.lookup(netip.MustParseAddr(tc.addr))
		if site != tc.site || scope != tc.scope {
			t.Errorf("lookup(%s) = site %d scope %d, want %d %d", tc.addr, site, scope, tc.site, tc.scope)
		}
	}
}
