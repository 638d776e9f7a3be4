package kube

import (
	"reflect"
	"testing"

	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"
	"github.com/gslbdns/gslb/syncer/kube/internal/kubetest"
	"github.com/gslbdns/gslb/syncer/kube/table"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// TestUDPRouteObjects: a UDPRoute (as a TCPRoute) attaches to listeners
// without hostname (the Gateway API forbids one for TCP and UDP); its FQDNs
// are its hostname annotations, as a Service's; it is read from the
// cluster's unstructured object like the other routes.
func TestUDPRouteObjects(t *testing.T) {
	gw := kubetest.Gateway(kubetest.IP("192.0.2.10"))
	lookup := func(ns, name string) *gwv1.Gateway { return gw }
	for _, tc := range []struct {
		name  string
		ann   map[string]string
		fqdns []string
	}{
		{"hostname annotation", map[string]string{v1alpha1.AnnotationHostname: "dns.example.net, Alt.example.net"}, []string{"alt.example.net.", "dns.example.net."}},
		{"external-dns annotation", map[string]string{v1alpha1.AnnotationExternalDNS: "dns.example.net"}, []string{"dns.example.net."}},
		{"no annotation: no FQDN", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": "gateway.networking.k8s.io/v1", "kind": "UDPRoute",
				"metadata": map[string]any{"namespace": "default", "name": "dns", "labels": map[string]any{"app": "gslb"}},
				"spec": map[string]any{"parentRefs": []any{map[string]any{"namespace": "infra", "name": "gw", "sectionName": "any"}},
					"rules": []any{map[string]any{"backendRefs": []any{map[string]any{"name": "coredns", "port": int64(53)}}}}},
				"status": map[string]any{"parents": []any{map[string]any{"parentRef": map[string]any{"namespace": "infra", "name": "gw", "sectionName": "any"},
					"controllerName": "example.net/gw", "conditions": []any{map[string]any{"type": "Accepted", "status": "True"}}}}},
			}}
			if tc.ann != nil {
				u.SetAnnotations(tc.ann)
			}
			conv, err := toGatewayRoute(u)
			if err != nil {
				t.Fatal(err)
			}
			objs := table.RouteObjects("UDPRoute", conv.(*table.GatewayRoute), lookup)
			if tc.fqdns == nil {
				if len(objs) != 0 {
					t.Errorf("objects %+v, want none", objs)
				}
				return
			}
			if len(objs) != 1 {
				t.Fatalf("objects %+v", objs)
			}
			o := objs[0]
			if !reflect.DeepEqual(o.FQDNs, tc.fqdns) || !reflect.DeepEqual(o.Addresses, []string{"192.0.2.10"}) || o.Port != 9090 || o.Kind != "UDPRoute" {
				t.Errorf("object %+v", o)
			}
			if want := []string{"coredns"}; !reflect.DeepEqual(o.Backends.Of(tc.fqdns[0]), want) {
				t.Errorf("backends %v, want %v", o.Backends, want)
			}
		})
	}
}
