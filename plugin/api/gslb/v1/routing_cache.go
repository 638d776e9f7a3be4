package gslbv1

import "math"

// Records of one policy share one Routing, which may hold thousands of
// client networks; every record carries its copy. RoutingHash and
// RoutingEqual let the plugin and the validator handle each distinct routing
// once, without encoding it.

// routingSample is how many client networks at each end of a topology map
// RoutingHash reads.
const routingSample = 16

// RoutingHash is a bucket key for a routing's content: FNV-1a over its
// sizes, the first and last client networks, the site order, the locations
// and the masks. It reads a bounded part of a large map, so equal keys must
// be confirmed with RoutingEqual.
func RoutingHash(rt *Routing) uint64 {
	h := uint64(14695981039346656037)
	str := func(s string) {
		for i := 0; i < len(s); i++ {
			h ^= uint64(s[i])
			h *= 1099511628211
		}
		h ^= 0xff // field separator
		h *= 1099511628211
	}
	num := func(x uint64) {
		for i := 0; i < 8; i++ {
			h ^= x & 0xff
			h *= 1099511628211
			x >>= 8
		}
	}
	topo := rt.GetTopology()
	head, tail := topo, []*ClientNetwork(nil)
	if len(topo) > 2*routingSample {
		head, tail = topo[:routingSample], topo[len(topo)-routingSample:]
	}
	for _, part := range [2][]*ClientNetwork{head, tail} {
		for _, n := range part {
			str(n.GetCidr())
			str(n.GetSite())
		}
	}
	num(uint64(len(topo)))
	for _, s := range rt.GetSiteOrder() {
		str(s)
	}
	num(uint64(len(rt.GetSiteOrder())))
	for _, l := range rt.GetLocations() {
		str(l.GetSite())
		num(math.Float64bits(l.GetLatitude()))
		num(math.Float64bits(l.GetLongitude()))
	}
	num(uint64(rt.GetHashMaskV4())<<32 | uint64(rt.GetHashMaskV6()))
	return h
}

// RoutingEqual reports whether two routings have the same content (a nil
// routing equals an empty one).
func RoutingEqual(a, b *Routing) bool {
	if a.GetHashMaskV4() != b.GetHashMaskV4() || a.GetHashMaskV6() != b.GetHashMaskV6() ||
		len(a.GetTopology()) != len(b.GetTopology()) || len(a.GetSiteOrder()) != len(b.GetSiteOrder()) ||
		len(a.GetLocations()) != len(b.GetLocations()) {
		return false
	}
	for i, n := range a.GetTopology() {
		m := b.GetTopology()[i]
		if n.GetCidr() != m.GetCidr() || n.GetSite() != m.GetSite() {
			return false
		}
	}
	for i, s := range a.GetSiteOrder() {
		if s != b.GetSiteOrder()[i] {
			return false
		}
	}
	for i, l := range a.GetLocations() {
		m := b.GetLocations()[i]
		if l.GetSite() != m.GetSite() || math.Float64bits(l.GetLatitude()) != math.Float64bits(m.GetLatitude()) ||
			math.Float64bits(l.GetLongitude()) != math.Float64bits(m.GetLongitude()) {
			return false
		}
	}
	return true
}

// Validator is ValidateRecord for many records at once (one push, one
// file): each distinct routing is validated once. The zero value is ready;
// it is not safe for concurrent use.
type Validator struct {
	valid map[uint64][]validRouting
}

type validRouting struct {
	alg Algorithm
	rt  *Routing
}

// Record validates one record, as ValidateRecord does.
func (v *Validator) Record(r *Record) error {
	return validateRecord(r, v.routing)
}

func (v *Validator) routing(alg Algorithm, rt *Routing) error {
	key := RoutingHash(rt)
	for _, c := range v.valid[key] {
		if c.alg == alg && RoutingEqual(c.rt, rt) {
			return nil
		}
	}
	if err := ValidateRouting(alg, rt); err != nil {
		return err
	}
	if v.valid == nil {
		v.valid = map[uint64][]validRouting{}
	}
	v.valid[key] = append(v.valid[key], validRouting{alg, rt})
	return nil
}
