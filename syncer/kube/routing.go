package kube

import (
	"fmt"
	"strconv"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"
)

// Routing by who asks for Kubernetes: a policy's routing places its member
// clusters in sites (each cluster member gets its cluster's site) and says
// what the algorithms Topology, Geo and ConsistentHash need. Pure functions,
// called from compilePolicy (checkRouting) and Build (applyRouting).

// routedAlgorithms maps the CRD's algorithms that route by who asks.
var routedAlgorithms = map[v1alpha1.Algorithm]gslbv1.Algorithm{
	v1alpha1.AlgorithmTopology:       gslbv1.Algorithm_ALGORITHM_TOPOLOGY,
	v1alpha1.AlgorithmGeo:            gslbv1.Algorithm_ALGORITHM_GEO,
	v1alpha1.AlgorithmConsistentHash: gslbv1.Algorithm_ALGORITHM_CONSISTENT_HASH,
}

// checkRouting validates a policy's algorithm and routing: the same rules as
// the name server (gslbv1.ValidateRouting), and no cluster in two sites.
func checkRouting(alg v1alpha1.Algorithm, rt *v1alpha1.Routing) error {
	site := map[string]string{}
	for _, s := range sitesOf(rt) {
		for _, c := range s.Clusters {
			if other, dup := site[c]; dup {
				return fmt.Errorf("routing: cluster %q is in sites %q and %q", c, other, s.Name)
			}
			site[c] = s.Name
		}
	}
	r, err := toRouting(rt)
	if err != nil {
		return err
	}
	if a, routed := routedAlgorithms[alg]; routed {
		return routingError(gslbv1.ValidateRouting(a, r))
	}
	return routingError(gslbv1.ValidateRouting(gslbv1.Algorithm_ALGORITHM_WRR, r))
}

func routingError(err error) error {
	if err != nil {
		return fmt.Errorf("routing: %v", err)
	}
	return nil
}

// applyRouting names the record's origin (for gslbctl explain), gives the
// record's cluster members the site of their cluster
// and, when the record's algorithm (the host rule's, else the policy's)
// routes by who asks, that algorithm and its routing. When the host rule's
// algorithm needs what the policy's routing lacks, the record stays WRR and
// the error says why (for the host rule's status).
func applyRouting(rec *gslbv1.Record, p *v1alpha1.GlobalDeploymentPolicy, hr *v1alpha1.GSLBHostRule) error {
	var rt *v1alpha1.Routing
	var alg v1alpha1.Algorithm
	if p != nil {
		rt, alg = p.Spec.Routing, p.Spec.Algorithm
	}
	if hr != nil && hr.Spec.Algorithm != "" {
		alg = hr.Spec.Algorithm
	}
	rec.Origin = origin(p, hr)
	placeMembers(rec, rt)
	a, routed := routedAlgorithms[alg]
	if !routed {
		return nil
	}
	r, err := toRouting(rt)
	if err == nil {
		err = gslbv1.ValidateRouting(a, r)
	}
	if err != nil {
		rec.Algorithm = gslbv1.Algorithm_ALGORITHM_WRR
		return fmt.Errorf("algorithm %s on the routing of policy %s: %v; answering by WRR", alg, policyName(p), err)
	}
	rec.Algorithm, rec.Routing = a, r
	return nil
}

// placeMembers sets the site of members whose cluster is in a site.
func placeMembers(rec *gslbv1.Record, rt *v1alpha1.Routing) {
	site := map[string]string{}
	for _, s := range sitesOf(rt) {
		for _, c := range s.Clusters {
			site[c] = s.Name
		}
	}
	for _, m := range rec.Members {
		if s, ok := site[m.Cluster]; ok && m.Site == "" {
			m.Site = s
		}
	}
}

// toRouting converts the CRD's routing to the table's.
func toRouting(rt *v1alpha1.Routing) (*gslbv1.Routing, error) {
	out := &gslbv1.Routing{}
	if rt == nil {
		return out, nil
	}
	out.SiteOrder = rt.SiteOrder
	if m := rt.HashMask; m != nil {
		if m.V4 != nil {
			out.HashMaskV4 = uint32(max(*m.V4, 0))
		}
		if m.V6 != nil {
			out.HashMaskV6 = uint32(max(*m.V6, 0))
		}
	}
	for _, s := range rt.Sites {
		for _, c := range s.Clients {
			out.Topology = append(out.Topology, &gslbv1.ClientNetwork{Cidr: c, Site: s.Name})
		}
		if l := s.Location; l != nil {
			lat, err1 := strconv.ParseFloat(l.Latitude, 64)
			lon, err2 := strconv.ParseFloat(l.Longitude, 64)
			if err1 != nil || err2 != nil {
				return nil, fmt.Errorf("routing: site %q: location %q, %q is not two numbers of degrees", s.Name, l.Latitude, l.Longitude)
			}
			out.Locations = append(out.Locations, &gslbv1.SiteLocation{Site: s.Name, Latitude: lat, Longitude: lon})
		}
	}
	return out, nil
}

// ownerPolicy returns the policy serving an FQDN, or nil.
func ownerPolicy(accepted []*policy, owner int) *v1alpha1.GlobalDeploymentPolicy {
	if owner < 0 {
		return nil
	}
	return accepted[owner].obj
}

// ruleObject returns the host rule's object, or nil.
func ruleObject(hr *hostRule) *v1alpha1.GSLBHostRule {
	if hr == nil {
		return nil
	}
	return hr.obj
}

func policyName(p *v1alpha1.GlobalDeploymentPolicy) string {
	if p == nil {
		return "(none)"
	}
	return Key(p)
}

func sitesOf(rt *v1alpha1.Routing) []v1alpha1.Site {
	if rt == nil {
		return nil
	}
	return rt.Sites
}

// origin says which policy and host rule a record comes from.
func origin(p *v1alpha1.GlobalDeploymentPolicy, hr *v1alpha1.GSLBHostRule) string {
	var s string
	if p != nil {
		s = "GlobalDeploymentPolicy " + Key(p)
	}
	if hr != nil {
		if s != "" {
			s += ", "
		}
		s += "GSLBHostRule " + Key(hr)
	}
	return s
}
