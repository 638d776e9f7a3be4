package table

import (
	"fmt"
	"strconv"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"
)

// Routing by who asks for Kubernetes: a policy's routing places its member
// clusters in sites (each cluster member gets its cluster's site) and says
// what the algorithms Topology, Geo and ConsistentHash need. Pure functions,
// called from compilePolicy (compileRouting) and Build (applyRouting).

// routedAlgorithms maps the CRD's algorithms that route by who asks.
var routedAlgorithms = map[v1alpha1.Algorithm]gslbv1.Algorithm{
	v1alpha1.AlgorithmTopology:       gslbv1.Algorithm_ALGORITHM_TOPOLOGY,
	v1alpha1.AlgorithmGeo:            gslbv1.Algorithm_ALGORITHM_GEO,
	v1alpha1.AlgorithmConsistentHash: gslbv1.Algorithm_ALGORITHM_CONSISTENT_HASH,
}

// routingPlan is a policy's routing, compiled once per build: the table's
// routing (shared by the policy's records: a map of thousands of networks is
// converted and validated once) and each cluster's site.
type routingPlan struct {
	alg  v1alpha1.Algorithm
	rt   *gslbv1.Routing
	site map[string]string // cluster → site
}

// compileRouting validates a policy's algorithm and routing (the name
// server's rules, gslbv1.ValidateRouting, and no cluster in two sites) and
// compiles them.
func compileRouting(alg v1alpha1.Algorithm, rt *v1alpha1.Routing) (*routingPlan, error) {
	plan := &routingPlan{alg: alg, site: map[string]string{}}
	for _, s := range sitesOf(rt) {
		for _, c := range s.Clusters {
			if other, dup := plan.site[c]; dup {
				return nil, fmt.Errorf("routing: cluster %q is in sites %q and %q", c, other, s.Name)
			}
			plan.site[c] = s.Name
		}
	}
	var err error
	if plan.rt, err = toRouting(rt); err != nil {
		return nil, err
	}
	check := gslbv1.Algorithm_ALGORITHM_WRR
	if a, routed := routedAlgorithms[alg]; routed {
		check = a
	}
	if err := gslbv1.ValidateRouting(check, plan.rt); err != nil {
		return nil, fmt.Errorf("routing: %v", err)
	}
	return plan, nil
}

// applyRouting names the record's origin (for gslbctl explain), gives the
// record's cluster members the site of their cluster and, when the record's
// algorithm (the host rule's, else the policy's) routes by who asks, that
// algorithm and the policy's routing. When the host rule's algorithm needs
// what the policy's routing lacks, the record answers by WRR and the error
// says why (for the host rule's status).
func applyRouting(rec *gslbv1.Record, p *policy, hr *v1alpha1.GSLBHostRule) error {
	var po *v1alpha1.GlobalDeploymentPolicy
	plan := &routingPlan{rt: &gslbv1.Routing{}}
	if p != nil {
		po, plan = p.obj, p.routing
	}
	rec.Origin = origin(po, hr)
	for _, m := range rec.Members {
		if s, ok := plan.site[m.Cluster]; ok && m.Site == "" {
			m.Site = s
		}
	}
	alg := plan.alg
	if hr != nil && hr.Spec.Algorithm != "" {
		alg = hr.Spec.Algorithm
	}
	a, routed := routedAlgorithms[alg]
	if !routed {
		return nil
	}
	if alg != plan.alg { // validated with the policy's algorithm only
		if err := gslbv1.ValidateRouting(a, plan.rt); err != nil {
			rec.Algorithm = gslbv1.Algorithm_ALGORITHM_WRR
			return fmt.Errorf("algorithm %s on the routing of policy %s: %v; answering by WRR", alg, policyName(po), err)
		}
	}
	rec.Algorithm, rec.Routing = a, plan.rt
	return nil
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

// routeRecord fills rec's routing and origin; a host rule whose override
// makes the routing invalid is refused (InvalidRouting).
func routeRecord(rec *gslbv1.Record, p *policy, hr *hostRule) {
	if err := applyRouting(rec, p, ruleObject(hr)); err != nil && hr != nil {
		hr.res.Accepted, hr.res.Reason, hr.res.Message = false, v1alpha1.ReasonInvalidRouting, err.Error()
	}
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
