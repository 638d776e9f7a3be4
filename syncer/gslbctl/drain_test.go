package gslbctl

import (
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"
)

func TestDrainName(t *testing.T) {
	seen := map[string]string{}
	for _, tc := range []struct {
		target DrainTarget
		want   string
	}{
		{DrainTarget{Cluster: "s1az1"}, "cluster-s1az1"},
		{DrainTarget{Site: "site1"}, "site-site1"},
		{DrainTarget{Site: "SITE1"}, "site-site1-"},
		{DrainTarget{Site: "Site1"}, "site-site1-"},
		{DrainTarget{Cluster: "arn:aws:eks:eu-west-1:123:cluster/prod"}, "cluster-arn-aws-eks-eu-west-1-123-cluster-prod-"},
		{DrainTarget{Cluster: "kind_dev"}, "cluster-kind-dev-"},
	} {
		got := DrainName(tc.target)
		if len(tc.want) > 0 && tc.want[len(tc.want)-1] == '-' {
			if len(got) != len(tc.want)+8 || got[:len(tc.want)] != tc.want {
				t.Errorf("%v: %q, want %q + 8 hex digits", tc.target, got, tc.want)
			}
		} else if got != tc.want {
			t.Errorf("%v: %q, want %q", tc.target, got, tc.want)
		}
		if errs := validation.IsDNS1123Subdomain(got); len(errs) > 0 {
			t.Errorf("%v: %q is not an object name: %v", tc.target, got, errs)
		}
		if other, dup := seen[got]; dup {
			t.Errorf("%v and %s share the name %q", tc.target, other, got)
		}
		seen[got] = tc.target.String()
	}
	if err := (DrainTarget{}).validate(); err == nil {
		t.Error("no target: no error")
	}
	if err := (DrainTarget{Cluster: "a", Site: "b"}).validate(); err == nil {
		t.Error("two targets: no error")
	}
}
