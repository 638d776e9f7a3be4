package table

import (
	"slices"
	"strings"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Object is what the builder needs of one Service or Ingress of a member
// cluster: where it is, its labels, the FQDNs it asks for and the addresses
// (or hostnames) its load balancer got.
type Object struct {
	Kind      string // "Service" or "Ingress"
	Namespace string
	Name      string
	Labels    map[string]string
	FQDNs     []string // canonical (lower case, trailing dot), sorted, unique
	Addresses []string // IPv4 and IPv6 literals, canonical, sorted, unique
	Hostnames []string // canonical, sorted, unique: answered as CNAMEs
	// Backends are, per FQDN, the Services (in Namespace) whose ready
	// endpoints make the object's members ready: a Service of type
	// LoadBalancer is its own backend; an Ingress has the backend Services
	// of its rules for that host (the default backend for a rule without
	// paths). Sorted, unique. No backend: nothing to wait for.
	Backends Backends
	// Port is what a health check probes when it names no port: a
	// Service's first TCP port; 0 for an Ingress (80, or 443 for HTTPS); a
	// route's first listener's port.
	Port uint16
	// Public are the addresses answered instead of Addresses and
	// Hostnames, which are still probed (publicaddr.go).
	Public []string
	// Invalid notes the values of the object that were ignored (an invalid
	// public address, a wildcard hostname), naming the object and value.
	Invalid []string
	// Routers are the names of the routers that admitted an OpenShift
	// Route: their Services' addresses are its own (routers.go).
	Routers []string
}

// ServiceObject returns the Object of a Service, and false when the Service
// is not a source: not of type LoadBalancer, or no FQDN annotation. FQDNs
// come from gslb.gslbdns.io/hostname and
// external-dns.alpha.kubernetes.io/hostname (comma-separated lists).
func ServiceObject(s *corev1.Service) (Object, bool) {
	if s.Spec.Type != corev1.ServiceTypeLoadBalancer {
		return Object{}, false
	}
	o := Object{Kind: "Service", Namespace: s.Namespace, Name: s.Name, Labels: s.Labels, FQDNs: AnnotatedNames(s.Annotations)}
	if len(o.FQDNs) == 0 {
		return Object{}, false
	}
	o.Addresses, o.Hostnames = LBTargets(s.Status.LoadBalancer.Ingress)
	o.Public, o.Invalid = PublicAddresses(o.Kind, s.Namespace, s.Name, s.Annotations)
	o.Backends = sameBackends(o.FQDNs, []string{s.Name})
	for _, p := range s.Spec.Ports {
		if p.Protocol == "" || p.Protocol == corev1.ProtocolTCP {
			o.Port = uint16(p.Port)
			break
		}
	}
	return o, true
}

// IngressObject returns the Object of an Ingress: FQDNs are its rules'
// hosts (wildcards are skipped), and false when it has none.
func IngressObject(in *networkingv1.Ingress) (Object, bool) {
	names := make([]string, 0, len(in.Spec.Rules))
	for _, r := range in.Spec.Rules {
		if !strings.HasPrefix(r.Host, "*") {
			names = append(names, r.Host)
		}
	}
	o := Object{Kind: "Ingress", Namespace: in.Namespace, Name: in.Name, Labels: in.Labels, FQDNs: CanonicalNames(names)}
	if len(o.FQDNs) == 0 {
		return Object{}, false
	}
	var ing []corev1.LoadBalancerIngress
	for _, i := range in.Status.LoadBalancer.Ingress {
		ing = append(ing, corev1.LoadBalancerIngress{IP: i.IP, Hostname: i.Hostname})
	}
	o.Addresses, o.Hostnames = LBTargets(ing)
	o.Public, o.Invalid = PublicAddresses(o.Kind, in.Namespace, in.Name, in.Annotations)
	o.Backends = ingressBackends(in, o.FQDNs)
	return o, true
}

// ingressBackends returns, per FQDN of fqdns, the Services behind the
// rules of that host.
func ingressBackends(in *networkingv1.Ingress, fqdns []string) Backends {
	out := make(map[string][]string, len(fqdns))
	for _, r := range in.Spec.Rules {
		f, err := gslbv1.CanonicalName(r.Host)
		if err != nil || strings.HasPrefix(r.Host, "*") {
			continue
		}
		var paths []networkingv1.HTTPIngressPath
		if r.HTTP != nil {
			paths = r.HTTP.Paths
		}
		if len(paths) == 0 {
			if b := in.Spec.DefaultBackend; b != nil && b.Service != nil {
				out[f] = append(out[f], b.Service.Name)
			}
			continue
		}
		for _, p := range paths {
			if p.Backend.Service != nil && p.Backend.Service.Name != "" {
				out[f] = append(out[f], p.Backend.Service.Name)
			}
		}
	}
	var bs Backends
	for _, f := range fqdns {
		if b, ok := out[f]; ok {
			slices.Sort(b)
			bs = append(bs, FQDNBackends{FQDN: f, Services: slices.Compact(b)})
		}
	}
	return bs
}

// ObjectOf returns the Object of a watched Service or Ingress, and false
// when it is not a source.
func ObjectOf(obj any) (Object, bool) {
	switch o := obj.(type) {
	case *corev1.Service:
		return ServiceObject(o)
	case *networkingv1.Ingress:
		return IngressObject(o)
	}
	return Object{}, false
}

// BackendServices returns every Service an object of a watched kind
// depends on, as "namespace/name" (the index that maps an EndpointSlice
// change to the objects, and so the FQDNs, it affects).
func BackendServices(obj any) []string {
	o, ok := ObjectOf(obj)
	if !ok {
		return nil
	}
	var out []string
	for _, bs := range o.Backends {
		for _, b := range bs.Services {
			out = append(out, o.Namespace+"/"+b)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// ObjectFQDNs returns the FQDNs an object of a watched kind asks for (for
// the work queue and the FQDN index); none when it is not a source.
func ObjectFQDNs(obj any) []string {
	o, _ := ObjectOf(obj)
	return o.FQDNs
}

func LBTargets(ing []corev1.LoadBalancerIngress) (addrs, hosts []string) {
	for _, i := range ing {
		if i.IP != "" {
			if a, err := gslbv1.ParseAddress(i.IP); err == nil {
				addrs = append(addrs, a.String())
			}
		} else if i.Hostname != "" {
			if h, err := gslbv1.CanonicalName(i.Hostname); err == nil {
				hosts = append(hosts, h)
			}
		}
	}
	slices.Sort(addrs)
	slices.Sort(hosts)
	return slices.Compact(addrs), slices.Compact(hosts)
}

// KeptAnnotations keeps of annotations those of keys (nil: none).
func KeptAnnotations(annotations map[string]string, keys ...string) map[string]string {
	var out map[string]string
	for _, k := range keys {
		if v, ok := annotations[k]; ok {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = v
		}
	}
	return out
}

// SourceAnnotations are the annotations the source reads: FQDNs and public
// addresses.
var SourceAnnotations = []string{v1alpha1.AnnotationHostname, v1alpha1.AnnotationExternalDNS, v1alpha1.AnnotationPublicAddresses}

// AnnotatedNames are the FQDNs of the hostname annotations (ours and
// external-dns's, comma-separated lists), canonical, sorted, unique.
func AnnotatedNames(annotations map[string]string) []string {
	var names []string
	for _, a := range []string{v1alpha1.AnnotationHostname, v1alpha1.AnnotationExternalDNS} {
		for n := range strings.SplitSeq(annotations[a], ",") {
			names = append(names, n)
		}
	}
	return CanonicalNames(names)
}

func CanonicalNames(names []string) []string {
	var out []string
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if c, err := gslbv1.CanonicalName(n); err == nil {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// StripManaged keeps of the objects what the source reads, to keep the
// caches small: a member cluster may hold 10,000 Services and Ingresses.
func StripManaged(obj any) (any, error) {
	meta := func(m metav1.ObjectMeta, annotations map[string]string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Namespace: m.Namespace, Name: m.Name, UID: m.UID, ResourceVersion: m.ResourceVersion,
			Labels: m.Labels, Annotations: annotations}
	}
	switch o := obj.(type) {
	case *corev1.Service:
		out := &corev1.Service{ObjectMeta: meta(o.ObjectMeta, KeptAnnotations(o.Annotations, SourceAnnotations...)), Spec: corev1.ServiceSpec{Type: o.Spec.Type}, Status: o.Status}
		for _, p := range o.Spec.Ports {
			out.Spec.Ports = append(out.Spec.Ports, corev1.ServicePort{Port: p.Port, Protocol: p.Protocol})
		}
		return out, nil
	case *networkingv1.Ingress:
		out := &networkingv1.Ingress{ObjectMeta: meta(o.ObjectMeta, KeptAnnotations(o.Annotations, v1alpha1.AnnotationPublicAddresses)), Status: o.Status}
		backend := func(b *networkingv1.IngressBackend) *networkingv1.IngressBackend {
			if b == nil || b.Service == nil {
				return nil
			}
			return &networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: b.Service.Name}}
		}
		out.Spec.DefaultBackend = backend(o.Spec.DefaultBackend)
		for _, r := range o.Spec.Rules {
			nr := networkingv1.IngressRule{Host: r.Host}
			if r.HTTP != nil {
				nr.HTTP = &networkingv1.HTTPIngressRuleValue{}
				for _, p := range r.HTTP.Paths {
					if b := backend(&p.Backend); b != nil {
						nr.HTTP.Paths = append(nr.HTTP.Paths, networkingv1.HTTPIngressPath{Backend: *b})
					}
				}
			}
			out.Spec.Rules = append(out.Spec.Rules, nr)
		}
		return out, nil
	case *corev1.Namespace:
		return &corev1.Namespace{ObjectMeta: meta(o.ObjectMeta, nil)}, nil
	}
	return obj, nil
}
