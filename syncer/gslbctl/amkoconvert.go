package gslbctl

// Converting AMKO's objects to ours, as pure functions: what maps is mapped,
// what does not (Avi object references, the Avi controller) becomes a Note
// with the field's path, the reason and the default written in its place.

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"

	v1 "github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Note is a field that was not mapped.
type Note struct {
	Object  string // "GlobalDeploymentPolicy avi-system/global-gdp"
	Field   string // AMKO's path: "spec.healthMonitorRefs"
	Reason  string
	Default string // what was written instead
	Out     string // the path of the output field the comment goes on ("" : the object)
}

func (n Note) String() string {
	s := fmt.Sprintf("%s: %s: not mapped: %s", n.Object, n.Field, n.Reason)
	if n.Default != "" {
		s += "; written instead: " + n.Default
	}
	return s
}

// AMKOConversion is what one conversion produces.
type AMKOConversion struct {
	Policies  []*v1.GlobalDeploymentPolicy
	HostRules []*v1.GSLBHostRule
	// Members are the member clusters' contexts (GSLBConfig memberClusters).
	Members  []string
	LogLevel string // debug | info | warn | error; "" when no GSLBConfig
	Notes    []Note
	// Info are fields with nothing to map to because nothing is needed
	// (the Avi controller's address, a resync period): not a failure.
	Info []Note
}

// ConvertAMKO converts AMKO's objects.
func ConvertAMKO(objs []*AMKOObject) *AMKOConversion {
	c := &AMKOConversion{}
	for _, o := range objs {
		switch {
		case o.GDP != nil:
			c.Policies = append(c.Policies, c.policy(o))
		case o.HostRule != nil:
			c.HostRules = append(c.HostRules, c.hostRule(o))
		case o.Config != nil:
			c.config(o)
		}
	}
	return c
}

func (c *AMKOConversion) note(o *AMKOObject, field, reason, def, out string) {
	c.Notes = append(c.Notes, Note{Object: o.Ref(), Field: field, Reason: reason, Default: def, Out: out})
}

func objectMeta(o *AMKOObject) metav1.ObjectMeta {
	m := metav1.ObjectMeta{Name: o.Meta.Name, Namespace: o.Meta.Namespace, Labels: o.Meta.Labels}
	for k, v := range o.Meta.Annotations {
		if k == "kubectl.kubernetes.io/last-applied-configuration" {
			continue
		}
		if m.Annotations == nil {
			m.Annotations = map[string]string{}
		}
		m.Annotations[k] = v
	}
	return m
}

func (c *AMKOConversion) policy(o *AMKOObject) *v1.GlobalDeploymentPolicy {
	s := o.GDP
	p := &v1.GlobalDeploymentPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1.SchemeGroupVersion.String(), Kind: "GlobalDeploymentPolicy"},
		ObjectMeta: objectMeta(o),
	}
	p.Spec.MatchRules = v1.MatchRules{AppSelector: &metav1.LabelSelector{}}
	if a := s.MatchRules.AppSelector; a != nil && len(a.Label) > 0 {
		p.Spec.MatchRules.AppSelector.MatchLabels = a.Label
	}
	if n := s.MatchRules.NamespaceSelector; n != nil && len(n.Label) > 0 {
		p.Spec.MatchRules.NamespaceSelector = &metav1.LabelSelector{MatchLabels: n.Label}
	}
	for i, m := range s.MatchClusters {
		p.Spec.MatchClusters = append(p.Spec.MatchClusters, m.Cluster)
		if m.SyncVipOnly {
			c.note(o, fmt.Sprintf("spec.matchClusters[%d].syncVipOnly", i),
				"an Avi option (sync the VIP, not the Avi objects): there are no Avi objects to sync", "nothing (the cluster is matched)", "spec.matchClusters")
		}
	}
	p.Spec.TrafficSplit = trafficSplit(s.TrafficSplit)
	p.Spec.TTL = s.TTL
	p.Spec.DownResponse = downResponse(s.DownResponse)
	p.Spec.Algorithm, p.Spec.Routing = c.algorithm(o, s.PoolAlgorithmSettings)
	if s.SitePersistenceRef != nil {
		c.sitePersistence(o, "spec.sitePersistenceRef", *s.SitePersistenceRef)
	}
	p.Spec.HealthCheck = c.healthMonitors(o, s.HealthMonitorRefs, s.HealthMonitorTemplate)
	return p
}

func (c *AMKOConversion) hostRule(o *AMKOObject) *v1.GSLBHostRule {
	s := o.HostRule
	h := &v1.GSLBHostRule{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1.SchemeGroupVersion.String(), Kind: "GSLBHostRule"},
		ObjectMeta: objectMeta(o),
	}
	h.Spec.FQDN = s.FQDN
	h.Spec.TTL = s.TTL
	h.Spec.TrafficSplit = trafficSplit(s.TrafficSplit)
	h.Spec.DownResponse = downResponse(s.DownResponse)
	var routing *v1.Routing
	h.Spec.Algorithm, routing = c.algorithm(o, s.PoolAlgorithmSettings)
	if routing != nil && routing.HashMask != nil {
		c.note(o, "spec.poolAlgorithmSettings.hashMask", "a GSLBHostRule has no routing: the hash mask is the policy's (spec.routing.hashMask)",
			"the policy's mask (default /24)", "spec.algorithm")
	}
	if sp := s.SitePersistence; sp != nil && sp.Enabled {
		c.sitePersistence(o, "spec.sitePersistence", sp.ProfileRef)
	}
	for _, m := range s.ThirdPartyMembers {
		h.Spec.ThirdPartyMembers = append(h.Spec.ThirdPartyMembers, thirdParty(m.VIP, m.Site, 1))
	}
	c.publicIPs(o, h)
	h.Spec.HealthCheck = c.healthMonitors(o, s.HealthMonitorRefs, s.HealthMonitorTemplate)
	return h
}

// publicIPs are the rule's publicAddresses: a cluster's public address is
// answered in place of its member's address, which the health checks
// still probe (AMKO's publicIP). A value that is not an IP address is
// noted and left out.
func (c *AMKOConversion) publicIPs(o *AMKOObject, h *v1.GSLBHostRule) {
	for i, p := range o.HostRule.PublicIP {
		if _, err := netip.ParseAddr(p.IP); err != nil {
			c.note(o, fmt.Sprintf("spec.publicIP[%d]", i), fmt.Sprintf("%q is not an IP address", p.IP),
				"the cluster's own address answered", "spec.publicAddresses")
			continue
		}
		j := slices.IndexFunc(h.Spec.PublicAddresses, func(a v1.ClusterAddresses) bool { return a.Cluster == p.Cluster })
		if j < 0 {
			h.Spec.PublicAddresses = append(h.Spec.PublicAddresses, v1.ClusterAddresses{Cluster: p.Cluster})
			j = len(h.Spec.PublicAddresses) - 1
		}
		h.Spec.PublicAddresses[j].Addresses = append(h.Spec.PublicAddresses[j].Addresses, p.IP)
	}
}

func thirdParty(ip, site string, weight int32) v1.ThirdPartyMember {
	m := v1.ThirdPartyMember{Weight: weight, Site: site}
	if _, err := netip.ParseAddr(ip); err == nil {
		m.Address = ip
	} else {
		m.Hostname = ip
	}
	return m
}

// trafficSplit keeps weights (AMKO's 1–20 fit our 0–1000) and priorities
// (higher preferred in both; AMKO's default 10 is written when any entry
// has a priority, none when none has), sorted by cluster.
func trafficSplit(in []AMKOTrafficSplit) []v1.TrafficSplit {
	def := int32(0)
	for _, t := range in {
		if t.Priority != nil {
			def = 10
		}
	}
	var out []v1.TrafficSplit
	for _, t := range in {
		s := v1.TrafficSplit{Cluster: t.Cluster, Weight: t.Weight, Priority: def}
		if t.Priority != nil {
			s.Priority = *t.Priority
		}
		out = append(out, s)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Cluster < out[j].Cluster })
	return out
}

// downResponse: NONE (Avi drops the query) is answered SERVFAIL, which
// clients take as "try again" at once instead of after a timeout.
func downResponse(d *AMKODownResponse) *v1.DownResponse {
	if d == nil {
		return nil
	}
	switch strings.TrimPrefix(d.Type, "GSLB_SERVICE_DOWN_RESPONSE_") {
	case "ALL_RECORDS":
		return &v1.DownResponse{Type: v1.DownAll}
	case "FALLBACK_IP":
		return &v1.DownResponse{Type: v1.DownFallback, FallbackAddresses: []string{d.FallbackIP}}
	case "EMPTY":
		return &v1.DownResponse{Type: v1.DownEmpty}
	}
	return &v1.DownResponse{Type: v1.DownServFail}
}

func (c *AMKOConversion) sitePersistence(o *AMKOObject, field, profile string) {
	c.note(o, field, fmt.Sprintf("Avi application persistence profile %q: cookie persistence across sites is done by Avi's virtual services, not by DNS", profile),
		"no persistence (set algorithm ConsistentHash to keep a client network on one member)", "")
}

// healthMonitors: Avi health monitors (refs, or a template named) live in
// the Avi controller; the default written is AMKO's own default monitor,
// HTTP GET / on the member's port.
func (c *AMKOConversion) healthMonitors(o *AMKOObject, refs []string, template *string) *v1.HealthCheck {
	var field, what string
	switch {
	case len(refs) > 0:
		field, what = "spec.healthMonitorRefs", "Avi health monitors "+strings.Join(refs, ", ")
	case template != nil:
		field, what = "spec.healthMonitorTemplate", fmt.Sprintf("Avi health monitor template %q", *template)
	default:
		return nil
	}
	c.note(o, field, what+" are objects of the Avi controller, not readable here",
		"healthCheck HTTP GET / (AMKO's default monitor)", "spec.healthCheck")
	return &v1.HealthCheck{Type: v1.HealthCheckHTTP, Method: "GET", Path: "/"}
}
