package kube

import (
	"testing"

	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// A status write (same generation) does not wake a build; a spec edit does.
func TestGenerationChanged(t *testing.T) {
	p := func(gen int64, reason string) *v1alpha1.GlobalDeploymentPolicy {
		o := &v1alpha1.GlobalDeploymentPolicy{ObjectMeta: metav1.ObjectMeta{Generation: gen}}
		o.Status.Conditions = []metav1.Condition{{Type: v1alpha1.ConditionAccepted, Reason: reason}}
		return o
	}
	tests := []struct {
		name string
		o, n any
		want bool
	}{
		{"status written", p(3, "Old"), p(3, "New"), false},
		{"spec edited", p(3, "Old"), p(4, "Old"), true},
		{"not an object", "x", p(4, "Old"), true},
	}
	for _, tt := range tests {
		if got := generationChanged(tt.o, tt.n); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}
