package table

import (
	"strings"
	"testing"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"
	"github.com/gslbdns/gslb/syncer/health"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func drainOf(name, cluster, site string) *v1alpha1.GSLBDrain {
	return &v1alpha1.GSLBDrain{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1alpha1.GSLBDrainSpec{Cluster: cluster, Site: site}}
}

// healthBrief renders hello's members as "cluster:health[:reason]".
func healthBrief(r Result) string {
	var out []string
	for _, rec := range r.Records {
		for _, m := range rec.Members {
			s := m.Cluster + m.Site + ":" + strings.TrimPrefix(m.Health.String(), "HEALTH_")
			if m.HealthReason != "" {
				s += ":" + m.HealthReason
			}
			out = append(out, s)
		}
	}
	return strings.Join(out, " ")
}

func TestBuildDrains(t *testing.T) {
	routed := gdp("p", 0, func(s *v1alpha1.GlobalDeploymentPolicySpec) { s.Routing = sitesRouting() })
	plain := gdp("p", 0)
	withBy := drainOf("cluster-s1az1", "s1az1", "")
	withBy.Spec.DrainedBy, withBy.Spec.Reason = "alice", "kernel upgrade"
	third := &v1alpha1.GSLBHostRule{ObjectMeta: metav1.ObjectMeta{Namespace: "gslb", Name: "hello"},
		Spec: v1alpha1.GSLBHostRuleSpec{FQDN: hello, ThirdPartyMembers: []v1alpha1.ThirdPartyMember{{Address: "192.0.2.9", Weight: 1, Site: "dc3"}}}}
	for _, tc := range []struct {
		name   string
		policy *v1alpha1.GlobalDeploymentPolicy
		rules  []*v1alpha1.GSLBHostRule
		drains []*v1alpha1.GSLBDrain
		want   string
	}{
		{"none", plain, nil, nil, "s1az1:UNKNOWN s1az2:UNKNOWN s2:UNKNOWN"},
		{"a cluster", plain, nil, []*v1alpha1.GSLBDrain{drainOf("d", "s1az1", "")},
			"s1az1:DOWN:drained by GSLBDrain d s1az2:UNKNOWN s2:UNKNOWN"},
		{"who and why", plain, nil, []*v1alpha1.GSLBDrain{withBy},
			"s1az1:DOWN:drained by GSLBDrain cluster-s1az1 (alice): kernel upgrade s1az2:UNKNOWN s2:UNKNOWN"},
		{"a cluster that is not a member: nothing", plain, nil, []*v1alpha1.GSLBDrain{drainOf("d", "s9", "")},
			"s1az1:UNKNOWN s1az2:UNKNOWN s2:UNKNOWN"},
		{"a site, by the policy's routing", routed, nil, []*v1alpha1.GSLBDrain{drainOf("site1", "", "SITE1")},
			"s1az1SITE1:DOWN:drained by GSLBDrain site1 s1az2SITE1:DOWN:drained by GSLBDrain site1 s2SITE2:UNKNOWN"},
		{"a site no policy places: nothing", plain, nil, []*v1alpha1.GSLBDrain{drainOf("site1", "", "SITE1")},
			"s1az1:UNKNOWN s1az2:UNKNOWN s2:UNKNOWN"},
		{"a third-party member's site", plain, []*v1alpha1.GSLBHostRule{third}, []*v1alpha1.GSLBDrain{drainOf("dc3", "", "dc3")},
			"s1az1:UNKNOWN s1az2:UNKNOWN s2:UNKNOWN dc3:DOWN:drained by GSLBDrain dc3"},
		{"the cluster's own drain names it, before its site's", routed, nil,
			[]*v1alpha1.GSLBDrain{drainOf("a-site1", "", "SITE1"), drainOf("b-s1az1", "s1az1", "")},
			"s1az1SITE1:DOWN:drained by GSLBDrain b-s1az1 s1az2SITE1:DOWN:drained by GSLBDrain a-site1 s2SITE2:UNKNOWN"},
		{"two drains of one cluster: the first by name", plain, nil,
			[]*v1alpha1.GSLBDrain{drainOf("z", "s2", ""), drainOf("m", "s2", "")},
			"s1az1:UNKNOWN s1az2:UNKNOWN s2:DOWN:drained by GSLBDrain m"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Build(Input{Clusters: scenario(), Policies: []*v1alpha1.GlobalDeploymentPolicy{tc.policy}, HostRules: tc.rules, Drains: tc.drains})
			if got := healthBrief(r); got != tc.want {
				t.Errorf("members %q\nwant      %q", got, tc.want)
			}
			// Weights are the policy's: a drain edits nothing.
			if got := brief(r.Records[0]); !strings.HasPrefix(got, "s1az1=127.0.0.11/6/0 s1az2=127.0.0.12/4/0 s2=127.0.0.13/2/0") {
				t.Errorf("weights %q", got)
			}
		})
	}
}

// A drained member keeps its check (probed meanwhile), the policy's status
// says which cluster is drained, and every member drained leaves the record
// to its downResponse (the record and its members stay).
func TestDrainStatusAndChecks(t *testing.T) {
	p := gdp("p", 0, func(s *v1alpha1.GlobalDeploymentPolicySpec) {
		s.HealthCheck = &v1alpha1.HealthCheck{Type: v1alpha1.HealthCheckHTTP}
	})
	d := drainOf("cluster-s2", "s2", "")
	r := Build(Input{Clusters: scenario(), Policies: []*v1alpha1.GlobalDeploymentPolicy{p}, Drains: []*v1alpha1.GSLBDrain{d}})
	if cs := health.ChecksOf(r.Records[0]); len(cs) != 3 || cs[2] == nil {
		t.Errorf("checks %v: want the drained member probed too", cs)
	}
	var msgs []string
	for _, c := range r.Policies["gslb/p"].Clusters {
		msgs = append(msgs, c.Cluster+"="+c.Message)
	}
	if got := strings.Join(msgs, " "); got != "s1az1= s1az2= s2=drained by GSLBDrain cluster-s2" {
		t.Errorf("cluster messages %q", got)
	}

	all := []*v1alpha1.GSLBDrain{drainOf("a", "s1az1", ""), drainOf("b", "s1az2", ""), d}
	r = Build(Input{Clusters: scenario(), Policies: []*v1alpha1.GlobalDeploymentPolicy{p}, Drains: all})
	if len(r.Records) != 1 || len(r.Records[0].Members) != 3 {
		t.Fatalf("every member drained: records %v", r.Records)
	}
	for _, m := range r.Records[0].Members {
		if m.Health != gslbv1.Health_HEALTH_DOWN {
			t.Errorf("member %s %v", m.Cluster, m.Health)
		}
	}
}

// Members kept from the plugin's table do not keep a drain's mark: the
// drains in force apply again (an undrain while the syncer was down holds);
// other reasons are kept. Kept members come after the live ones.
func TestKeptMembersDropDrainMark(t *testing.T) {
	cs := scenario()
	cs[0].Objects, cs[0].State = nil, ClusterUnreachable
	cs[0].Kept = map[string][]*gslbv1.Member{hello: {{Address: "127.0.0.11", Cluster: "s1az1", Health: gslbv1.Health_HEALTH_DOWN, HealthReason: "drained by GSLBDrain old"}}}
	r := Build(Input{Clusters: cs, Policies: []*v1alpha1.GlobalDeploymentPolicy{gdp("p", 0)}})
	if got := healthBrief(r); got != "s1az2:UNKNOWN s2:UNKNOWN s1az1:UNKNOWN" {
		t.Errorf("undrained while away: %q", got)
	}
	r = Build(Input{Clusters: cs, Policies: []*v1alpha1.GlobalDeploymentPolicy{gdp("p", 0)}, Drains: []*v1alpha1.GSLBDrain{drainOf("new", "s1az1", "")}})
	if got := healthBrief(r); got != "s1az2:UNKNOWN s2:UNKNOWN s1az1:DOWN:drained by GSLBDrain new" {
		t.Errorf("still drained: %q", got)
	}
	cs[0].Kept[hello][0].HealthReason = "0/3 endpoints ready in service default/hello"
	r = Build(Input{Clusters: cs, Policies: []*v1alpha1.GlobalDeploymentPolicy{gdp("p", 0)}})
	if got := healthBrief(r); !strings.HasSuffix(got, "s1az1:DOWN:0/3 endpoints ready in service default/hello") {
		t.Errorf("another reason is kept: %q", got)
	}
}
