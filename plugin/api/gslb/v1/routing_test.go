package gslbv1

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

func TestValidateRouting(t *testing.T) {
	nets := func(kv ...string) []*ClientNetwork {
		var out []*ClientNetwork
		for i := 0; i < len(kv); i += 2 {
			out = append(out, &ClientNetwork{Cidr: kv[i], Site: kv[i+1]})
		}
		return out
	}
	loc := func(site string, lat, lon float64) *SiteLocation {
		return &SiteLocation{Site: site, Latitude: lat, Longitude: lon}
	}
	for _, tc := range []struct {
		name string
		alg  Algorithm
		rt   *Routing
		want string // "" = valid
	}{
		{"wrr without routing", Algorithm_ALGORITHM_WRR, nil, ""},
		{"topology", Algorithm_ALGORITHM_TOPOLOGY, &Routing{Topology: nets("192.0.2.0/24", "SITE1", "2001:db8::/48", "SITE2"), SiteOrder: []string{"SITE1", "SITE2"}}, ""},
		{"topology without map", Algorithm_ALGORITHM_TOPOLOGY, &Routing{}, "needs at least one client network"},
		{"host bits", Algorithm_ALGORITHM_TOPOLOGY, &Routing{Topology: nets("192.0.2.1/24", "SITE1")}, `did you mean 192.0.2.0/24`},
		{"bad cidr", Algorithm_ALGORITHM_TOPOLOGY, &Routing{Topology: nets("192.0.2.0", "SITE1")}, `topology 1: invalid CIDR "192.0.2.0"`},
		{"mapped", Algorithm_ALGORITHM_TOPOLOGY, &Routing{Topology: nets("::ffff:192.0.2.0/120", "SITE1")}, "as IPv4"},
		{"no site", Algorithm_ALGORITHM_TOPOLOGY, &Routing{Topology: nets("192.0.2.0/24", "")}, "topology 1 (192.0.2.0/24): no site"},
		{"duplicate", Algorithm_ALGORITHM_TOPOLOGY, &Routing{Topology: nets("192.0.2.0/24", "A", "192.0.2.0/24", "B")}, "topology 2 (192.0.2.0/24): duplicate of topology 1"},
		{"order twice", Algorithm_ALGORITHM_TOPOLOGY, &Routing{Topology: nets("192.0.2.0/24", "A"), SiteOrder: []string{"A", "A"}}, `site "A" listed twice`},
		{"geo", Algorithm_ALGORITHM_GEO, &Routing{Locations: []*SiteLocation{loc("SITE1", 40.4, -3.7), loc("SITE2", 52.5, 13.4)}}, ""},
		{"geo without locations", Algorithm_ALGORITHM_GEO, &Routing{}, "needs at least one site location"},
		{"latitude", Algorithm_ALGORITHM_GEO, &Routing{Locations: []*SiteLocation{loc("SITE1", 91, 0)}}, "latitude 91"},
		{"longitude NaN", Algorithm_ALGORITHM_GEO, &Routing{Locations: []*SiteLocation{loc("SITE1", 0, math.NaN())}}, "longitude NaN"},
		{"located twice", Algorithm_ALGORITHM_GEO, &Routing{Locations: []*SiteLocation{loc("S", 0, 0), loc("S", 1, 1)}}, "located twice"},
		{"hash", Algorithm_ALGORITHM_CONSISTENT_HASH, &Routing{HashMaskV4: 16, HashMaskV6: 48}, ""},
		{"hash v4 mask", Algorithm_ALGORITHM_CONSISTENT_HASH, &Routing{HashMaskV4: 33}, "hash_mask_v4 33"},
		{"hash v6 mask", Algorithm_ALGORITHM_CONSISTENT_HASH, &Routing{HashMaskV6: 129}, "hash_mask_v6 129"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateRouting(tc.alg, tc.rt)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestValidateRecordNamesRouting(t *testing.T) {
	r := &Record{Fqdn: "hello.example.", Algorithm: Algorithm_ALGORITHM_TOPOLOGY,
		Routing: &Routing{Topology: []*ClientNetwork{{Cidr: "10.0.0.1/8", Site: "A"}}}}
	err := ValidateRecord(r)
	if err == nil || !strings.HasPrefix(err.Error(), `record "hello.example.": routing: topology 1:`) {
		t.Fatalf("got %v", err)
	}
}

func TestRoutingHashEqual(t *testing.T) {
	big := func(site string) *Routing {
		rt := &Routing{SiteOrder: []string{"A", "B"}, HashMaskV4: 24}
		for i := range 100 {
			rt.Topology = append(rt.Topology, &ClientNetwork{Cidr: "10.0." + itoa(i) + ".0/24", Site: "A"})
		}
		rt.Topology[50].Site = site // in the middle: not sampled by the hash
		return rt
	}
	a, b, c := big("A"), big("A"), big("B")
	if RoutingHash(a) != RoutingHash(b) || !RoutingEqual(a, b) {
		t.Error("equal routings differ")
	}
	if RoutingEqual(a, c) {
		t.Error("routings differing in the middle of the map compare equal")
	}
	if !RoutingEqual(nil, &Routing{}) || RoutingEqual(nil, a) {
		t.Error("nil routing")
	}
	d := big("A")
	d.Locations = []*SiteLocation{{Site: "A", Latitude: 1}}
	if RoutingHash(a) == RoutingHash(d) || RoutingEqual(a, d) {
		t.Error("locations ignored")
	}

	// The validator checks each distinct routing once, and still refuses a
	// bad one that shares the sampled part of a good one.
	var v Validator
	rec := func(rt *Routing) *Record {
		return &Record{Fqdn: "a.example.", Algorithm: Algorithm_ALGORITHM_TOPOLOGY, Routing: rt}
	}
	if err := v.Record(rec(a)); err != nil {
		t.Fatal(err)
	}
	bad := big("A")
	bad.Topology[50].Cidr = "10.0.50.1/24"
	if err := v.Record(rec(bad)); err == nil || !strings.Contains(err.Error(), "host bits") {
		t.Errorf("bad routing after a good one with the same hash: %v", err)
	}
	if err := v.Record(rec(b)); err != nil || len(v.valid) != 1 {
		t.Errorf("a repeat: %v, %d cached", err, len(v.valid))
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
