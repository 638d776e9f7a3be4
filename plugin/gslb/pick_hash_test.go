package gslb

import (
	"fmt"
	"math"
	"net/netip"
	"testing"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
)

// hashSet compiles a CONSISTENT_HASH record and returns its IPv4 answer set.
func hashSet(t testing.TB, rt *gslbv1.Routing, members ...*gslbv1.Member) (*Record, *answerSet) {
	t.Helper()
	r := rec("hash.avi.iberia.local", members...)
	r.Algorithm = gslbv1.Algorithm_ALGORITHM_CONSISTENT_HASH
	r.Routing = rt
	g := newTestGSLB(t, testConfig(), nil)
	full(t, g, r)
	rr := g.feed.table.Load().get("hash.avi.iberia.local.")
	return rr, &rr.fam[famV4]
}

// hashPick picks for a client address (no ECS) and returns the member's
// address and the scope.
func hashPick(rr *Record, set *answerSet, addr netip.Addr) (string, int) {
	c := client{addr: addr, bits: addr.BitLen()}
	i := set.pickHash(rr.route, &c)
	return set.cands[i].stat.key, c.scope
}

func TestPickHashSamePrefixSameMember(t *testing.T) {
	rr, set := hashSet(t, nil, mem("192.0.2.1", 1), mem("192.0.2.2", 1), mem("192.0.2.3", 1), mem("192.0.2.4", 1))
	for _, tc := range []struct {
		a, b  string
		scope int
	}{
		{"198.51.100.1", "198.51.100.254", 24},
		{"2001:db8:1:100::1", "2001:db8:1:1ff:ffff::", 56},
	} {
		ma, sa := hashPick(rr, set, netip.MustParseAddr(tc.a))
		mb, _ := hashPick(rr, set, netip.MustParseAddr(tc.b))
		if ma != mb || sa != tc.scope {
			t.Errorf("%s → %s, %s → %s (scope %d): want one member, scope %d", tc.a, ma, tc.b, mb, sa, tc.scope)
		}
	}
	// A hash mask of /16: the whole /16 shares a member; an ECS prefix
	// shorter than the mask is hashed at its own length.
	rr, set = hashSet(t, &gslbv1.Routing{HashMaskV4: 16}, mem("192.0.2.1", 1), mem("192.0.2.2", 1), mem("192.0.2.3", 1))
	seen := map[string]bool{}
	for i := range 50 {
		m, scope := hashPick(rr, set, netip.AddrFrom4([4]byte{198, 51, byte(i), 7}))
		if scope != 16 {
			t.Fatalf("scope %d, want 16", scope)
		}
		seen[m] = true
	}
	if len(seen) != 1 {
		t.Errorf("one /16 got %d members", len(seen))
	}
	c := client{addr: netip.MustParseAddr("198.0.0.0"), bits: 8}
	set.pickHash(rr.route, &c)
	if c.scope != 8 {
		t.Errorf("ECS /8 under a /16 mask: scope %d, want 8", c.scope)
	}
}

func TestPickHashRemovalMovesOnlyItsClients(t *testing.T) {
	ms := func(n int) []*gslbv1.Member {
		var out []*gslbv1.Member
		for i := range n {
			out = append(out, mem(fmt.Sprintf("192.0.2.%d", i+1), 1))
		}
		return out
	}
	rr4, set4 := hashSet(t, nil, ms(4)...)
	all := ms(4)
	all[2].Health = gslbv1.Health_HEALTH_DOWN
	rr3, set3 := hashSet(t, nil, all...)
	moved, had := 0, 0
	for i := range 4096 {
		a := netip.AddrFrom4([4]byte{10, byte(i >> 8), byte(i), 0})
		before, _ := hashPick(rr4, set4, a)
		after, _ := hashPick(rr3, set3, a)
		if before == "192.0.2.3" {
			had++
			continue
		}
		if before != after {
			moved++
		}
	}
	if moved != 0 {
		t.Errorf("%d clients of the members that stayed moved", moved)
	}
	if had < 4096/4*8/10 || had > 4096/4*12/10 {
		t.Errorf("the removed member had %d of 4096 prefixes, want about 1024", had)
	}
}

func TestPickHashFollowsWeights(t *testing.T) {
	weights := []uint32{1, 2, 3, 4}
	var members []*gslbv1.Member
	for i, w := range weights {
		members = append(members, mem(fmt.Sprintf("192.0.2.%d", i+1), w))
	}
	rr, set := hashSet(t, nil, members...)
	const n = 40000
	counts := map[string]int{}
	for i := range n {
		a := netip.AddrFrom4([4]byte{byte(i >> 16), byte(i >> 8), byte(i), 0})
		m, _ := hashPick(rr, set, a)
		counts[m]++
	}
	// Chi-square with 3 degrees of freedom; 16.27 is the 0.999 quantile.
	chi := 0.0
	for i, w := range weights {
		exp := float64(n) * float64(w) / 10
		d := float64(counts[fmt.Sprintf("192.0.2.%d", i+1)]) - exp
		chi += d * d / exp
	}
	if chi > 16.27 || math.IsNaN(chi) {
		t.Errorf("shares %v for weights 1:2:3:4: chi-square %.1f", counts, chi)
	}
}
