package delegation

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/retry"
)

// DNSEndpoints is ExternalDNS's resource (externaldns.k8s.io/v1alpha1).
var DNSEndpoints = schema.GroupVersionResource{Group: "externaldns.k8s.io", Version: "v1alpha1", Resource: "dnsendpoints"}

// EndpointConfig is one site's delegation written as a DNSEndpoint object
// for ExternalDNS, in the config cluster. Every site writes the same object
// (Namespace/Name): one NS endpoint for the zone, whose targets are the
// sites' name servers (each site adds and removes its own), and each site's
// A/AAAA endpoints for its name server's addresses.
type EndpointConfig struct {
	Zone, NS   string       // canonical
	Addrs      []netip.Addr // the NS name's addresses; none: no A/AAAA endpoints
	TTL        uint32       // 0 means 300
	Kubeconfig string       // "" means the in-cluster configuration
	Context    string       // the kubeconfig's context; "" means its current one
	Namespace  string       // default "gslb"
	Name       string       // default gslb-delegation-ZONE (dots as dashes)
}

func (c *EndpointConfig) defaults() {
	if c.TTL == 0 {
		c.TTL = 300
	}
	if c.Namespace == "" {
		c.Namespace = DefaultNamespace
	}
	if c.Name == "" {
		c.Name = "gslb-delegation-" + strings.ReplaceAll(strings.TrimSuffix(c.Zone, "."), ".", "-")
	}
}

// Endpoints keeps this site's part of the DNSEndpoint object. It is a
// Parent: the object plays the parent zone, and the zone's last NS target
// is never removed from it.
type Endpoints struct {
	cfg    EndpointConfig
	client dynamic.ResourceInterface
}

// NewEndpoints returns the Endpoints of cfg, with a client from its
// kubeconfig (or the in-cluster configuration).
func NewEndpoints(cfg EndpointConfig) (*Endpoints, error) {
	cfg.defaults()
	rc, err := restConfig(cfg.Kubeconfig, cfg.Context)
	if err != nil {
		return nil, fmt.Errorf("delegation: dnsEndpoint: %w", err)
	}
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("delegation: dnsEndpoint: %w", err)
	}
	return &Endpoints{cfg: cfg, client: dyn.Resource(DNSEndpoints).Namespace(cfg.Namespace)}, nil
}

func restConfig(kubeconfig, context string) (*rest.Config, error) {
	if kubeconfig == "" {
		return rest.InClusterConfig()
	}
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: kubeconfig},
		&clientcmd.ConfigOverrides{CurrentContext: context}).ClientConfig()
}

// Object names the object, for logs.
func (e *Endpoints) Object() string { return e.cfg.Namespace + "/" + e.cfg.Name }

// Register makes the object's NS endpoint name this site's server and its
// A/AAAA endpoints hold exactly its addresses; it creates the object if
// there is none.
func (e *Endpoints) Register(ctx context.Context) (bool, error) {
	return e.change(ctx, true, func(eps []any) ([]any, error) { return e.registered(eps), nil })
}

// Withdraw removes this site's NS target and A/AAAA endpoints, unless its
// target is the NS endpoint's last one (ErrLastNS).
func (e *Endpoints) Withdraw(ctx context.Context) (bool, error) {
	return e.change(ctx, false, func(eps []any) ([]any, error) {
		if ns := targets(find(eps, e.zoneName(), "NS")); slices.Equal(ns, []string{e.nsName()}) {
			return eps, ErrLastNS
		}
		return e.withdrawn(eps), nil
	})
}

// change applies edit to the object's endpoints and writes them if they
// differ, retrying on conflicts; create says a missing object is created.
func (e *Endpoints) change(ctx context.Context, create bool, edit func([]any) ([]any, error)) (bool, error) {
	changed := false
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		obj, err := e.client.Get(ctx, e.cfg.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			if !create {
				return nil
			}
			obj, err = e.newObject(), nil
		}
		if err != nil {
			return err
		}
		eps, _, _ := unstructured.NestedSlice(obj.Object, "spec", "endpoints")
		next, err := edit(eps)
		if err != nil || equalEndpoints(eps, next) && obj.GetResourceVersion() != "" {
			return err
		}
		if err := unstructured.SetNestedSlice(obj.Object, next, "spec", "endpoints"); err != nil {
			return err
		}
		if obj.GetResourceVersion() == "" {
			_, err = e.client.Create(ctx, obj, metav1.CreateOptions{})
			if apierrors.IsAlreadyExists(err) { // another site created it since the Get: read it again
				err = apierrors.NewConflict(DNSEndpoints.GroupResource(), e.cfg.Name, err)
			}
		} else {
			_, err = e.client.Update(ctx, obj, metav1.UpdateOptions{})
		}
		changed = err == nil
		return err
	})
	if err != nil {
		return false, fmt.Errorf("delegation: DNSEndpoint %s: %w", e.Object(), err)
	}
	return changed, nil
}

func (e *Endpoints) newObject() *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(DNSEndpoints.GroupVersion().String())
	u.SetKind("DNSEndpoint")
	u.SetNamespace(e.cfg.Namespace)
	u.SetName(e.cfg.Name)
	u.SetLabels(map[string]string{"app.kubernetes.io/managed-by": "gslb-syncer"})
	return u
}

// registered returns eps with this site's NS target and address endpoints.
func (e *Endpoints) registered(eps []any) []any {
	out := e.withdrawn(eps)
	ns := append(targets(find(out, e.zoneName(), "NS")), e.nsName())
	slices.Sort(ns)
	out = put(out, e.endpoint(e.zoneName(), "NS", ns))
	for _, typ := range []string{"A", "AAAA"} {
		if addrs := e.addrs(typ == "A"); len(addrs) > 0 {
			out = put(out, e.endpoint(e.nsName(), typ, addrs))
		}
	}
	return out
}

// withdrawn returns eps without this site's NS target and address endpoints.
func (e *Endpoints) withdrawn(eps []any) []any {
	out := removeEndpoint(removeEndpoint(eps, e.nsName(), "A"), e.nsName(), "AAAA")
	ns := slices.DeleteFunc(targets(find(out, e.zoneName(), "NS")), func(t string) bool { return t == e.nsName() })
	if len(ns) == 0 {
		return removeEndpoint(out, e.zoneName(), "NS")
	}
	return put(out, e.endpoint(e.zoneName(), "NS", ns))
}

// ExternalDNS writes names without the final dot.
func (e *Endpoints) zoneName() string { return strings.TrimSuffix(e.cfg.Zone, ".") }
func (e *Endpoints) nsName() string   { return strings.TrimSuffix(e.cfg.NS, ".") }

func (e *Endpoints) addrs(v4 bool) []string {
	var out []string
	for _, a := range e.cfg.Addrs {
		if a.Is4() == v4 {
			out = append(out, a.String())
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func (e *Endpoints) endpoint(name, typ string, tgts []string) map[string]any {
	ts := make([]any, len(tgts))
	for i, t := range tgts {
		ts[i] = t
	}
	return map[string]any{"dnsName": name, "recordType": typ, "targets": ts, "recordTTL": int64(e.cfg.TTL)}
}

// find returns the endpoint of name and type in eps, or nil.
func find(eps []any, name, typ string) map[string]any {
	for _, ep := range eps {
		if m, ok := ep.(map[string]any); ok && m["dnsName"] == name && m["recordType"] == typ {
			return m
		}
	}
	return nil
}

func targets(ep map[string]any) []string {
	ts, _, _ := unstructured.NestedStringSlice(ep, "targets")
	return ts
}

// removeEndpoint returns a copy of eps without the endpoint of name and type.
func removeEndpoint(eps []any, name, typ string) []any {
	return slices.DeleteFunc(slices.Clone(eps), func(ep any) bool {
		m, ok := ep.(map[string]any)
		return ok && m["dnsName"] == name && m["recordType"] == typ
	})
}

// put returns eps with ep in place of the endpoint of its name and type
// (where it was), or added at the end.
func put(eps []any, ep map[string]any) []any {
	for i, old := range eps {
		if m, ok := old.(map[string]any); ok && m["dnsName"] == ep["dnsName"] && m["recordType"] == ep["recordType"] {
			out := slices.Clone(eps)
			out[i] = ep
			return out
		}
	}
	return append(slices.Clone(eps), ep)
}

// equalEndpoints compares the endpoints this package writes, field by
// field, whatever their order.
func equalEndpoints(a, b []any) bool {
	key := func(ep any) string {
		m, _ := ep.(map[string]any)
		ttl, _, _ := unstructured.NestedInt64(m, "recordTTL")
		return fmt.Sprint(m["dnsName"], " ", m["recordType"], " ", ttl, " ", targets(m), " ", len(m))
	}
	ka, kb := make([]string, len(a)), make([]string, len(b))
	for i := range a {
		ka[i] = key(a[i])
	}
	for i := range b {
		kb[i] = key(b[i])
	}
	slices.Sort(ka)
	slices.Sort(kb)
	return slices.Equal(ka, kb)
}
