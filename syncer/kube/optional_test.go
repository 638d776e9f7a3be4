package kube

import (
	"reflect"
	"testing"

	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"
	"github.com/gslbdns/gslb/syncer/kube/table"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestConvertFromUnstructured: the informers' transforms read the objects
// as the API serves them (JSON field names, inline backend references).
func TestConvertFromUnstructured(t *testing.T) {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
		"metadata": map[string]any{"namespace": "default", "name": "hello", "labels": map[string]any{"app": "gslb"},
			"annotations": map[string]any{"other": "x", v1alpha1.AnnotationPublicAddresses: "203.0.113.5"}},
		"spec": map[string]any{
			"parentRefs": []any{map[string]any{"name": "gw", "sectionName": "web"}},
			"hostnames":  []any{"hello.example.net"},
			"rules":      []any{map[string]any{"backendRefs": []any{map[string]any{"name": "hello", "port": int64(80)}}, "matches": []any{}}},
		},
		"status": map[string]any{"parents": []any{map[string]any{"parentRef": map[string]any{"name": "gw", "sectionName": "web"},
			"controllerName": "example.net/gw", "conditions": []any{map[string]any{"type": "Accepted", "status": "True"}}}}},
	}}
	o, err := toGatewayRoute(u)
	if err != nil {
		t.Fatal(err)
	}
	r := o.(*table.GatewayRoute)
	if r.Spec.Rules[0].BackendRefs[0].Name != "hello" || len(r.Status.Parents) != 1 || r.Spec.Hostnames[0] != "hello.example.net" {
		t.Errorf("route %+v", r)
	}
	if !reflect.DeepEqual(r.Annotations, map[string]string{v1alpha1.AnnotationPublicAddresses: "203.0.113.5"}) {
		t.Errorf("annotations kept: %v", r.Annotations)
	}
}
