package kube

import (
	"fmt"
	"maps"
	"testing"

	"github.com/gslbdns/gslb/syncer/kube/table"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// sameMap tells whether a and b are the same map, not only equal ones.
func sameMap(a, b map[string]string) bool {
	return fmt.Sprintf("%p", a) == fmt.Sprintf("%p", b)
}

func TestLabelSetsShared(t *testing.T) {
	l := newLabelSets()
	a1 := l.shared(map[string]string{"app": "gslb", "tier": "web"})
	a2 := l.shared(map[string]string{"tier": "web", "app": "gslb"})
	b := l.shared(map[string]string{"app": "gslb"})
	c := l.shared(map[string]string{"app": "gslbtier", "": "web"}) // the same bytes, keys and values cut elsewhere
	if !sameMap(a1, a2) || !maps.Equal(a2, map[string]string{"app": "gslb", "tier": "web"}) {
		t.Errorf("equal labels: %v %v, want one map", a1, a2)
	}
	if sameMap(a1, b) || sameMap(a1, c) || !maps.Equal(b, map[string]string{"app": "gslb"}) || len(c) != 2 {
		t.Errorf("different labels share a map: %v %v %v", a1, b, c)
	}
	if m := l.shared(nil); m != nil {
		t.Errorf("no labels: %v", m)
	}
	if n := len(l.sets); n != 3 {
		t.Errorf("%d sets kept, want 3", n)
	}
}

func TestLabelSetsBounded(t *testing.T) {
	l := newLabelSets()
	for i := range maxLabelSets + 10 {
		l.shared(map[string]string{"i": fmt.Sprint(i)})
	}
	if n := len(l.sets); n != maxLabelSets {
		t.Errorf("%d sets kept, want %d", n, maxLabelSets)
	}
	past := map[string]string{"i": fmt.Sprint(maxLabelSets + 5)}
	if got := l.shared(past); !sameMap(got, past) {
		t.Error("past the bound: not the object's own map")
	}
	first := l.shared(map[string]string{"i": "0"})
	if again := l.shared(map[string]string{"i": "0"}); !sameMap(first, again) {
		t.Error("a set kept before the bound is not shared")
	}
}

// TestLabelSetsStrip: the transform is stripManaged with the labels shared.
func TestLabelSetsStrip(t *testing.T) {
	l := newLabelSets()
	var out []metav1.Object
	for i, o := range []any{
		benchIngress("a", "192.0.2.1"), benchIngress("b", "192.0.2.2"),
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "s", Labels: map[string]string{"app": "gslb"}},
			Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer}},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "default", Labels: map[string]string{"env": "prod"}}},
	} {
		want, _ := table.StripManaged(o)
		got, err := l.strip(o)
		if err != nil || !equality.Semantic.DeepEqual(got, want) {
			t.Fatalf("%d: %v, %+v, want %+v", i, err, got, want)
		}
		out = append(out, got.(metav1.Object))
	}
	if !sameMap(out[0].GetLabels(), out[1].GetLabels()) || !sameMap(out[0].GetLabels(), out[2].GetLabels()) {
		t.Error("the Ingresses' and the Service's app: gslb are not one map")
	}
	if sameMap(out[0].GetLabels(), out[3].GetLabels()) {
		t.Error("the Namespace's labels are shared with others")
	}
	if _, ok := out[0].(*networkingv1.Ingress); !ok {
		t.Errorf("an Ingress stripped is a %T", out[0])
	}
}
