package filesource

// The file's drains, its equivalent of the Kubernetes source's GSLBDrain:
//
//	drained:                  # optional: out of every answer, for maintenance
//	  clusters: [s1az1]       # the members whose cluster is one of these
//	  sites: [site2]          # the members whose site is one of these
//
// A drained member is served down with the reason "drained in the members
// file (drained.clusters: s1az1)", whatever its health says; it keeps its
// weight and is still probed, so removing the line brings it back at once
// with the health its probes found.

import (
	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"

	"go.yaml.in/yaml/v3"
)

var drainedKeys = []string{"clusters", "sites"}

// drainedSet is the file's drained clusters and sites.
type drainedSet struct {
	clusters, sites map[string]bool
}

func (p *parser) drained(n *yaml.Node) (drainedSet, error) {
	d := drainedSet{clusters: map[string]bool{}, sites: map[string]bool{}}
	if n.Kind != yaml.MappingNode {
		return d, p.errorf(n, "drained must be a mapping with clusters and sites, got %s", describe(n))
	}
	f, err := p.fields(n, drainedKeys)
	if err != nil {
		return d, err
	}
	if err := f.problem(p, "drained"); err != nil {
		return d, err
	}
	for _, k := range []struct {
		key string
		set map[string]bool
	}{{"clusters", d.clusters}, {"sites", d.sites}} {
		key, set := k.key, k.set
		v := f.get(key)
		if v == nil {
			continue
		}
		names, err := p.strings(v, "drained: "+key)
		if err != nil {
			return d, err
		}
		for _, name := range names {
			set[name] = true
		}
	}
	return d, nil
}

// apply marks the drained members of recs down, with the reason.
func (d drainedSet) apply(recs []*gslbv1.Record) {
	if len(d.clusters) == 0 && len(d.sites) == 0 {
		return
	}
	for _, r := range recs {
		for _, m := range r.Members {
			switch {
			case m.Cluster != "" && d.clusters[m.Cluster]:
				m.Health, m.HealthReason = gslbv1.Health_HEALTH_DOWN, "drained in the members file (drained.clusters: "+m.Cluster+")"
			case m.Site != "" && d.sites[m.Site]:
				m.Health, m.HealthReason = gslbv1.Health_HEALTH_DOWN, "drained in the members file (drained.sites: "+m.Site+")"
			}
		}
	}
}
