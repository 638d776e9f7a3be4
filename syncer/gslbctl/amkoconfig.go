package gslbctl

// The pool algorithm and GSLBConfig parts of the AMKO conversion.

import (
	"fmt"
	"slices"
	"strings"

	v1 "github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"
)

func lbAlgorithm(s string) string { return strings.TrimPrefix(s, "GSLB_ALGORITHM_") }

// algorithm maps poolAlgorithmSettings. ROUND_ROBIN is WRR (Avi weighs its
// round robin by the pools' ratios too); CONSISTENT_HASH keeps hashMask as
// routing.hashMask.v4. GEO and TOPOLOGY need where the sites are and which
// clients they serve, configured in the Avi controller (GSLB site
// locations, the DNS virtual service's topology policy): without them our
// Geo and Topology are refused (InvalidRouting, the policy's FQDNs out of
// the DNS), so WRR is written and the comment says what to add.
func (c *AMKOConversion) algorithm(o *AMKOObject, p *AMKOPoolAlgorithm) (v1.Algorithm, *v1.Routing) {
	if p == nil {
		return "", nil
	}
	const f = "spec.poolAlgorithmSettings"
	switch lbAlgorithm(p.LBAlgorithm) {
	case "CONSISTENT_HASH":
		if p.HashMask == nil {
			return v1.AlgorithmConsistentHash, nil
		}
		return v1.AlgorithmConsistentHash, &v1.Routing{HashMask: &v1.HashMask{V4: p.HashMask}}
	case "GEO":
		c.geoFallback(o, p.GeoFallback)
		c.note(o, f+".lbAlgorithm", "GSLB_ALGORITHM_GEO places the sites with the Avi controller's GSLB site locations, not in these objects",
			"algorithm WRR: set algorithm Geo with spec.routing.sites[].location (Geo without a location is refused: InvalidRouting)", "spec.algorithm")
		return v1.AlgorithmWRR, nil
	case "TOPOLOGY":
		c.note(o, f+".lbAlgorithm", "GSLB_ALGORITHM_TOPOLOGY uses the topology policy of the Avi DNS virtual service, not in these objects",
			"algorithm WRR: set algorithm Topology with spec.routing.sites[].clients (Topology without a client network is refused: InvalidRouting)", "spec.algorithm")
		return v1.AlgorithmWRR, nil
	case "ROUND_ROBIN", "":
		return v1.AlgorithmWRR, nil
	}
	c.note(o, f+".lbAlgorithm", fmt.Sprintf("%q is not one of AMKO's algorithms", p.LBAlgorithm), "WRR", "spec.algorithm")
	return v1.AlgorithmWRR, nil
}

// geoFallback: ours is routing.siteOrder then the whole pool by weight,
// which is AMKO's ROUND_ROBIN fallback; a CONSISTENT_HASH fallback is not.
func (c *AMKOConversion) geoFallback(o *AMKOObject, g *AMKOAlgorithm) {
	if g == nil || lbAlgorithm(g.LBAlgorithm) == "ROUND_ROBIN" || g.LBAlgorithm == "" {
		return
	}
	c.note(o, "spec.poolAlgorithmSettings.geoFallback", fmt.Sprintf("fallback %s: Geo falls back to routing.siteOrder, then the whole pool by weight", g.LBAlgorithm),
		"the weighted fallback", "spec.algorithm")
}

// config reads GSLBConfig: the member contexts and the log level map; the
// Avi leader (controller address, version, credentials) has no equivalent:
// the syncer reads the members itself. Credentials are never printed.
func (c *AMKOConversion) config(o *AMKOObject) {
	s := o.Config
	for _, m := range s.MemberClusters {
		if !slices.Contains(c.Members, m.ClusterContext) {
			c.Members = append(c.Members, m.ClusterContext)
		}
	}
	if s.LogLevel != "" {
		c.LogLevel = strings.ToLower(s.LogLevel)
		if c.LogLevel == "warning" {
			c.LogLevel = "warn"
		}
	}
	if l := s.GSLBLeader; l != nil {
		if l.Credentials != "" {
			c.note(o, "spec.gslbLeader.credentials", "the Avi controller's credentials (Secret not read, not printed): there is no controller",
				"none; the members kubeconfig is the only credential (gslbConfig.membersSecret)", "")
		}
		c.Info = append(c.Info, Note{Object: o.Ref(), Field: "spec.gslbLeader",
			Reason: "the Avi GSLB leader (controller address, version, leader site) is replaced by the config cluster (--source …&config=CTX)"})
	}
	if s.RefreshInterval != nil {
		c.Info = append(c.Info, Note{Object: o.Ref(), Field: "spec.refreshInterval",
			Reason: "the syncer watches the members: there is no full resync to schedule"})
	}
	if s.UseCustomGlobalFqdn != nil && *s.UseCustomGlobalFqdn {
		c.note(o, "spec.useCustomGlobalFqdn", "global FQDNs from AKO's HostRule objects (gslbFqdn) are not read",
			"the FQDN of each Ingress host or Service annotation "+v1.AnnotationHostname, "")
	}
}
