package table

import (
	"reflect"
	"strings"
	"testing"

	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"
	"github.com/gslbdns/gslb/syncer/health"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestCompilePublic(t *testing.T) {
	known := map[string]int{"s1az1": 0, "s1az2": 1, "s2": 2}
	for _, tc := range []struct {
		name    string
		in      []v1alpha1.ClusterAddresses
		public  map[string][]string
		unknown []string
		invalid []string
	}{
		{name: "none"},
		{name: "canonical, sorted, unique", in: []v1alpha1.ClusterAddresses{{Cluster: "s1az1", Addresses: []string{"203.0.113.9", "2001:DB8::5", "203.0.113.5", "203.0.113.9"}}},
			public: map[string][]string{"s1az1": {"2001:db8::5", "203.0.113.5", "203.0.113.9"}}},
		{name: "unknown cluster", in: []v1alpha1.ClusterAddresses{{Cluster: "s9", Addresses: []string{"203.0.113.5"}}, {Cluster: "s2", Addresses: []string{"203.0.113.7"}}},
			public: map[string][]string{"s2": {"203.0.113.7"}}, unknown: []string{"s9"}},
		{name: "invalid value named, the rest used", in: []v1alpha1.ClusterAddresses{{Cluster: "s2", Addresses: []string{"203.0.113.7", "example.com"}}},
			public:  map[string][]string{"s2": {"203.0.113.7"}},
			invalid: []string{`publicAddresses[0].addresses[1] (cluster s2): "example.com" is not an IP address, ignored`}},
		{name: "all invalid: the cluster keeps its own", in: []v1alpha1.ClusterAddresses{{Cluster: "s2", Addresses: []string{"300.1.1.1"}}},
			invalid: []string{`publicAddresses[0].addresses[0] (cluster s2): "300.1.1.1" is not an IP address, ignored`}},
	} {
		public, unknown, invalid := compilePublic(tc.in, known)
		if !reflect.DeepEqual(public, tc.public) || !reflect.DeepEqual(unknown, tc.unknown) || !reflect.DeepEqual(invalid, tc.invalid) {
			t.Errorf("%s: compilePublic = %v, %v, %v; want %v, %v, %v", tc.name, public, unknown, invalid, tc.public, tc.unknown, tc.invalid)
		}
	}
}

// TestBuildHostRulePublic: the rule's public addresses are answered for
// their cluster's members, over the objects' annotation, while the probes
// go to the load balancers; the invalid value and the unknown cluster are
// in the rule's status, the rest serves.
func TestBuildHostRulePublic(t *testing.T) {
	cs := scenario()
	cs[2].Objects[0].Public = []string{"198.51.100.9"} // the annotation of s2's Ingress
	hr := &v1alpha1.GSLBHostRule{ObjectMeta: metav1.ObjectMeta{Namespace: "gslb", Name: "hello", Generation: 3},
		Spec: v1alpha1.GSLBHostRuleSpec{FQDN: hello, PublicAddresses: []v1alpha1.ClusterAddresses{
			{Cluster: "s1az1", Addresses: []string{"203.0.113.5"}},
			{Cluster: "s2", Addresses: []string{"203.0.113.7", "not-an-ip"}},
			{Cluster: "s9", Addresses: []string{"203.0.113.8"}},
		}}}
	p := gdp("p", 0, func(s *v1alpha1.GlobalDeploymentPolicySpec) {
		s.HealthCheck = &v1alpha1.HealthCheck{Type: v1alpha1.HealthCheckTCP, Port: 8000}
	})
	r := Build(Input{Clusters: cs, Policies: []*v1alpha1.GlobalDeploymentPolicy{p}, HostRules: []*v1alpha1.GSLBHostRule{hr}})
	if len(r.Records) != 1 {
		t.Fatalf("records %v", r.Records)
	}
	rec := r.Records[0]
	if got, want := brief(rec), "s1az1=203.0.113.5/6/0 s1az2=127.0.0.12/4/0 s2=203.0.113.7/2/0"; got != want {
		t.Errorf("members %s, want %s", got, want)
	}
	var probed []string
	for _, c := range health.ChecksOf(rec) {
		probed = append(probed, c.Address)
	}
	if want := []string{"127.0.0.11", "", "127.0.0.13"}; !reflect.DeepEqual(probed, want) {
		t.Errorf("probe addresses %q, want %q (\"\": the member's own)", probed, want)
	}
	res := r.HostRules["gslb/hello"]
	if !res.Accepted || !strings.Contains(res.Unresolved, `publicAddresses "s9": not a member cluster`) {
		t.Errorf("rule result %+v", res)
	}
	st := HostRuleStatus(hr, res, nil)
	c := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionValuesValid)
	if c == nil || c.Status != metav1.ConditionFalse || c.Reason != v1alpha1.ReasonInvalidValues || c.ObservedGeneration != 3 ||
		c.Message != `1 value(s) ignored, the rest serves: publicAddresses[1].addresses[1] (cluster s2): "not-an-ip" is not an IP address, ignored` {
		t.Errorf("ValuesValid %+v", c)
	}
	if c := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionResolvedRefs); c == nil || c.Status != metav1.ConditionFalse {
		t.Errorf("ResolvedRefs %+v", c)
	}
	hr.Spec.PublicAddresses = nil
	r = Build(Input{Clusters: cs, Policies: []*v1alpha1.GlobalDeploymentPolicy{p}, HostRules: []*v1alpha1.GSLBHostRule{hr}})
	if got, want := brief(r.Records[0]), "s1az1=127.0.0.11/6/0 s1az2=127.0.0.12/4/0 s2=198.51.100.9/2/0"; got != want {
		t.Errorf("without the rule's: members %s, want %s (the annotation's)", got, want)
	}
	if c := meta.FindStatusCondition(HostRuleStatus(hr, r.HostRules["gslb/hello"], nil).Conditions, v1alpha1.ConditionValuesValid); c == nil || c.Status != metav1.ConditionTrue {
		t.Errorf("ValuesValid without values %+v", c)
	}
}
