package table

// Gateway API routes (HTTPRoute, GRPCRoute, TLSRoute, TCPRoute, UDPRoute) and the
// Gateways they attach to, turned into Build's Objects.

import (
	"fmt"
	"slices"
	"strings"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// GatewayRoute is what the source reads of a route of any Gateway API kind:
// HTTPRoute, GRPCRoute, TLSRoute, TCPRoute and UDPRoute keep these fields
// in the same places (TCPRoute and UDPRoute have no hostnames).
type GatewayRoute struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              GatewayRouteSpec `json:"spec"`
	Status            gwv1.RouteStatus `json:"status,omitempty"`
}

// GatewayRouteSpec is the part of a route's spec the source reads.
type GatewayRouteSpec struct {
	ParentRefs []gwv1.ParentReference `json:"parentRefs,omitempty"`
	Hostnames  []gwv1.Hostname        `json:"hostnames,omitempty"`
	Rules      []GatewayRouteRule     `json:"rules,omitempty"`
}

// GatewayRouteRule is the part of a route rule the source reads.
type GatewayRouteRule struct {
	BackendRefs []gwv1.BackendRef `json:"backendRefs,omitempty"`
}

// GatewayLookup returns the Gateway namespace/name of the same cluster, or
// nil.
type GatewayLookup func(namespace, name string) *gwv1.Gateway

// RouteObjects returns the Objects of a route of kind: one per Gateway it
// is attached to (a parentRef its status accepts), whose FQDNs are the
// route's hostnames intersected with those of the listeners it attaches to
// (a route without hostnames takes the listeners'; with none there either,
// as a TCPRoute or UDPRoute, its hostname annotations), whose addresses are
// the Gateway's status addresses, and whose backends are the Services of
// its backendRefs. Wildcards and references the source does not follow
// are reported in the first Object's Invalid.
func RouteObjects(kind string, r *GatewayRoute, gateways GatewayLookup) []Object {
	var out []Object
	var notes []string
	backends, bnotes := RouteBackends(kind, r)
	notes = append(notes, bnotes...)
	for _, pr := range r.Spec.ParentRefs {
		g := attachedGateway(r, pr, gateways)
		if g == nil {
			continue
		}
		ls := attachedListeners(g, pr)
		if len(ls) == 0 {
			continue
		}
		fqdns, fnotes := routeFQDNs(kind, r, ls)
		if len(fqdns) == 0 && len(r.Spec.Hostnames) == 0 {
			fqdns = AnnotatedNames(r.Annotations) // TCPRoute, UDPRoute: listeners without hostname
		}
		notes = append(notes, fnotes...)
		if len(fqdns) == 0 {
			continue
		}
		o := Object{Kind: kind, Namespace: r.Namespace, Name: r.Name, Labels: r.Labels, FQDNs: fqdns,
			Backends: sameBackends(fqdns, backends), Port: uint16(ls[0].Port)}
		o.Addresses, o.Hostnames = gatewayTargets(g)
		o.Public, o.Invalid = routePublic(kind, r, g)
		out = append(out, o)
	}
	if len(out) > 0 {
		slices.Sort(notes)
		out[0].Invalid = append(out[0].Invalid, slices.Compact(notes)...)
	}
	return out
}

// attachedGateway returns the Gateway pr names when the route's status
// says it accepted the route, else nil.
func attachedGateway(r *GatewayRoute, pr gwv1.ParentReference, gateways GatewayLookup) *gwv1.Gateway {
	if (pr.Group != nil && *pr.Group != gwv1.GroupName) || (pr.Kind != nil && *pr.Kind != "Gateway") {
		return nil
	}
	ns := r.Namespace
	if pr.Namespace != nil {
		ns = string(*pr.Namespace)
	}
	if !parentAccepted(r, pr, ns) {
		return nil
	}
	return gateways(ns, string(pr.Name))
}

// parentAccepted tells whether the route's status holds pr with the
// condition Accepted true (written by the Gateway's controller).
func parentAccepted(r *GatewayRoute, pr gwv1.ParentReference, ns string) bool {
	for _, ps := range r.Status.Parents {
		ref := ps.ParentRef
		rns := r.Namespace
		if ref.Namespace != nil {
			rns = string(*ref.Namespace)
		}
		if ref.Name != pr.Name || rns != ns || deref(ref.SectionName) != deref(pr.SectionName) || derefPort(ref.Port) != derefPort(pr.Port) {
			continue
		}
		for _, c := range ps.Conditions {
			if c.Type == string(gwv1.RouteConditionAccepted) && c.Status == metav1.ConditionTrue {
				return true
			}
		}
	}
	return false
}

// attachedListeners are the listeners of g that pr selects: by name
// (sectionName), by port, or all.
func attachedListeners(g *gwv1.Gateway, pr gwv1.ParentReference) []gwv1.Listener {
	var out []gwv1.Listener
	for _, l := range g.Spec.Listeners {
		if pr.SectionName != nil && l.Name != *pr.SectionName {
			continue
		}
		if pr.Port != nil && l.Port != *pr.Port {
			continue
		}
		out = append(out, l)
	}
	return out
}

// routeFQDNs intersects the route's hostnames with the listeners': a
// listener without hostname takes the route's, a route without hostnames
// takes the listener's. Names left as wildcards are skipped, with a note.
func routeFQDNs(kind string, r *GatewayRoute, ls []gwv1.Listener) ([]string, []string) {
	var names, notes []string
	skip := func(h string) {
		notes = append(notes, fmt.Sprintf("%s %s/%s: wildcard hostname %q not served", kind, r.Namespace, r.Name, h))
	}
	for _, l := range ls {
		lh := ""
		if l.Hostname != nil {
			lh = strings.ToLower(string(*l.Hostname))
		}
		if len(r.Spec.Hostnames) == 0 {
			switch {
			case strings.HasPrefix(lh, "*"):
				skip(lh)
			case lh != "":
				names = append(names, lh)
			}
			continue
		}
		for _, h := range r.Spec.Hostnames {
			n, ok := intersectHost(strings.ToLower(string(h)), lh)
			switch {
			case !ok:
			case strings.HasPrefix(n, "*"):
				skip(n)
			default:
				names = append(names, n)
			}
		}
	}
	return CanonicalNames(names), notes
}

// intersectHost returns the names a route hostname and a listener hostname
// ("" for any) both match: the more specific of the two, when one matches
// the other.
func intersectHost(route, listener string) (string, bool) {
	switch {
	case listener == "" || route == listener:
		return route, true
	case wildcardMatches(listener, route):
		return route, true
	case wildcardMatches(route, listener):
		return listener, true
	}
	return "", false
}

// wildcardMatches tells whether pattern "*.suffix" matches name, which
// must have at least one more label.
func wildcardMatches(pattern, name string) bool {
	suffix, ok := strings.CutPrefix(pattern, "*")
	return ok && strings.HasSuffix(name, suffix) && len(name) > len(suffix) && !strings.HasPrefix(name, "*")
}

// RouteBackends are the Services of the route's backendRefs in its own
// namespace, sorted; references to other kinds or namespaces are noted and
// not followed.
func RouteBackends(kind string, r *GatewayRoute) ([]string, []string) {
	var out, notes []string
	for _, rule := range r.Spec.Rules {
		for _, b := range rule.BackendRefs {
			switch {
			case (b.Group != nil && *b.Group != "") || (b.Kind != nil && *b.Kind != "Service"):
				notes = append(notes, fmt.Sprintf("%s %s/%s: backendRef %s not followed for readiness (not a Service)", kind, r.Namespace, r.Name, b.Name))
			case b.Namespace != nil && string(*b.Namespace) != r.Namespace:
				notes = append(notes, fmt.Sprintf("%s %s/%s: backendRef %s/%s not followed for readiness (another namespace)", kind, r.Namespace, r.Name, *b.Namespace, b.Name))
			default:
				out = append(out, string(b.Name))
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out), notes
}

// gatewayTargets are the Gateway's status addresses: IP addresses, and
// hostnames answered as CNAMEs.
func gatewayTargets(g *gwv1.Gateway) (addrs, hosts []string) {
	for _, a := range g.Status.Addresses {
		t := gwv1.IPAddressType
		if a.Type != nil {
			t = *a.Type
		}
		switch t {
		case gwv1.IPAddressType:
			if p, err := gslbv1.ParseAddress(a.Value); err == nil {
				addrs = append(addrs, p.String())
			}
		case gwv1.HostnameAddressType:
			if h, err := gslbv1.CanonicalName(a.Value); err == nil {
				hosts = append(hosts, h)
			}
		}
	}
	slices.Sort(addrs)
	slices.Sort(hosts)
	return slices.Compact(addrs), slices.Compact(hosts)
}

// routePublic is the public-addresses annotation of the route, else of its
// Gateway.
func routePublic(kind string, r *GatewayRoute, g *gwv1.Gateway) ([]string, []string) {
	if _, ok := r.Annotations[v1alpha1.AnnotationPublicAddresses]; ok {
		return PublicAddresses(kind, r.Namespace, r.Name, r.Annotations)
	}
	return PublicAddresses("Gateway", g.Namespace, g.Name, g.Annotations)
}

func deref[T ~string](p *T) string {
	if p == nil {
		return ""
	}
	return string(*p)
}

func derefPort(p *gwv1.PortNumber) int32 {
	if p == nil {
		return 0
	}
	return int32(*p)
}
