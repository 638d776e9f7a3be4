package table

// OpenShift Routes (route.openshift.io/v1), read with the dynamic client
// into the few fields the source needs.

import (
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// OpenShiftRoute is what the source reads of a Route.
type OpenShiftRoute struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              OpenShiftRouteSpec   `json:"spec"`
	Status            OpenShiftRouteStatus `json:"status,omitempty"`
}

// OpenShiftRouteSpec: the host and the Services behind it.
type OpenShiftRouteSpec struct {
	Host              string                 `json:"host,omitempty"`
	To                OpenShiftRouteTarget   `json:"to"`
	AlternateBackends []OpenShiftRouteTarget `json:"alternateBackends,omitempty"`
}

// OpenShiftRouteTarget is a backend of a Route.
type OpenShiftRouteTarget struct {
	Kind string `json:"kind,omitempty"`
	Name string `json:"name"`
}

// OpenShiftRouteStatus: the routers that admitted the Route.
type OpenShiftRouteStatus struct {
	Ingress []OpenShiftRouteIngress `json:"ingress,omitempty"`
}

// OpenShiftRouteIngress is one router's view of the Route.
type OpenShiftRouteIngress struct {
	Host                    string                    `json:"host,omitempty"`
	RouterName              string                    `json:"routerName,omitempty"`
	RouterCanonicalHostname string                    `json:"routerCanonicalHostname,omitempty"`
	Conditions              []OpenShiftRouteCondition `json:"conditions,omitempty"`
}

// OpenShiftRouteCondition is a router's condition (type Admitted).
type OpenShiftRouteCondition struct {
	Type   string `json:"type"`
	Status string `json:"status"`
}

// OpenShiftRouteObject returns the Object of a Route, and false when it is
// not a source (no host, a wildcard host, no router admitted it, or
// nothing to answer). Its FQDN is spec.host; its members are the
// addresses of the public-addresses annotation, else those of the
// routers that admitted it (Routers, filled in by withRouterAddresses),
// else their canonical hostnames (answered as CNAMEs). Its backends are
// spec.to and spec.alternateBackends (Services).
func OpenShiftRouteObject(r *OpenShiftRoute) (Object, bool) {
	o := Object{Kind: "Route", Namespace: r.Namespace, Name: r.Name, Labels: r.Labels}
	if strings.HasPrefix(r.Spec.Host, "*") {
		return Object{}, false
	}
	o.FQDNs = CanonicalNames([]string{r.Spec.Host})
	var hosts []string
	adm := false
	for _, in := range r.Status.Ingress {
		if admitted(in) {
			adm = true
			hosts = append(hosts, in.RouterCanonicalHostname)
			if in.RouterName != "" {
				o.Routers = append(o.Routers, in.RouterName)
			}
		}
	}
	slices.Sort(o.Routers)
	o.Routers = slices.Compact(o.Routers)
	o.Hostnames = CanonicalNames(hosts)
	o.Public, o.Invalid = PublicAddresses(o.Kind, r.Namespace, r.Name, r.Annotations)
	if len(o.FQDNs) == 0 || !adm || len(o.Public)+len(o.Hostnames)+len(o.Routers) == 0 {
		return Object{}, false
	}
	var backends []string
	for _, t := range append([]OpenShiftRouteTarget{r.Spec.To}, r.Spec.AlternateBackends...) {
		if (t.Kind == "" || t.Kind == "Service") && t.Name != "" {
			backends = append(backends, t.Name)
		} else if t.Name != "" {
			o.Invalid = append(o.Invalid, fmt.Sprintf("Route %s/%s: backend %s %s not followed for readiness (not a Service)", r.Namespace, r.Name, t.Kind, t.Name))
		}
	}
	slices.Sort(backends)
	o.Backends = sameBackends(o.FQDNs, slices.Compact(backends))
	return o, true
}

// admitted tells whether the router admitted the Route.
func admitted(in OpenShiftRouteIngress) bool {
	for _, c := range in.Conditions {
		if c.Type == "Admitted" && c.Status == string(metav1.ConditionTrue) {
			return true
		}
	}
	return false
}
