package table

import (
	"slices"
	"strings"
	"testing"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"

	"google.golang.org/protobuf/proto"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// compiled returns the accepted policies of ps over the scenario's clusters.
func compiled(t *testing.T, ps ...*v1alpha1.GlobalDeploymentPolicy) ([]*policy, map[string]int, []ClusterView) {
	t.Helper()
	cs := scenario()
	known := clusterIndex(cs)
	return compilePolicies(ps, known, cs, map[string]*PolicyResult{}), known, cs
}

func TestCompilePolicies(t *testing.T) {
	bad := gdp("bad", 0, func(s *v1alpha1.GlobalDeploymentPolicySpec) { s.MatchRules.AppSelector = nil })
	out := map[string]*PolicyResult{}
	cs := scenario()
	got := compilePolicies([]*v1alpha1.GlobalDeploymentPolicy{gdp("young", 9), bad, gdp("old", 1)}, clusterIndex(cs), cs, out)
	if len(got) != 2 || got[0].obj.Name != "old" || got[1].obj.Name != "young" {
		t.Errorf("accepted %v, want old then young", got)
	}
	if r := out["gslb/bad"]; r == nil || r.Accepted || r.Reason != v1alpha1.ReasonInvalidSelector {
		t.Errorf("bad policy result %+v", r)
	}
}

func TestMatchObjects(t *testing.T) {
	tests := []struct {
		name      string
		edit      func(cs []ClusterView)
		zones     []string
		want      string // clusters matched for hello, by the one policy
		outOfZone []string
	}{
		{"every cluster", func([]ClusterView) {}, nil, "0,1,2", nil},
		{"label mismatch", func(cs []ClusterView) { cs[1].Objects[0].Labels = nil }, nil, "0,2", nil},
		{"namespace mismatch", func(cs []ClusterView) { cs[2].NamespaceLabels["default"] = map[string]string{"env": "dev"} }, nil, "0,1", nil},
		{"out of zone", func([]ClusterView) {}, []string{"example.com."}, "", []string{hello}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := scenario()
			tt.edit(cs)
			known := clusterIndex(cs)
			p := gdp("p", 0, func(s *v1alpha1.GlobalDeploymentPolicySpec) {
				s.MatchRules.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"env": "prod"}}
			})
			accepted := compilePolicies([]*v1alpha1.GlobalDeploymentPolicy{p}, known, cs, map[string]*PolicyResult{})
			matches, outOfZone := matchObjects(accepted, Input{Clusters: cs, Zones: tt.zones}, known)
			var got []string
			if m := matches[hello]; m != nil {
				for _, mm := range m[0] {
					got = append(got, itoa(uint32(mm.cluster)))
				}
			}
			if strings.Join(got, ",") != tt.want || !slices.Equal(outOfZone, tt.outOfZone) {
				t.Errorf("matched clusters %v, out of zone %v; want %s and %v", got, outOfZone, tt.want, tt.outOfZone)
			}
		})
	}
}

func TestFQDNList(t *testing.T) {
	matches := map[string][][]match{"b.": nil, "d.": nil}
	matches["b."], matches["d."] = [][]match{{}}, [][]match{{}}
	rules := map[string]*hostRule{"a.": {}, "d.": {}}
	kept := map[string]int{"c.": 0}
	if got := fqdnList(matches, rules, kept); strings.Join(got, " ") != "a. b. c. d." {
		t.Errorf("fqdnList %v, want a. b. c. d. once each", got)
	}
}

func TestResolveOwner(t *testing.T) {
	accepted, _, _ := compiled(t, gdp("old", 1), gdp("new", 2))
	m := match{0, &Object{}}
	tests := []struct {
		name      string
		byPolicy  [][]match
		kept      map[string]int
		want      int
		conflicts int // on each side
	}{
		{"only the new one matches", [][]match{nil, {m}}, nil, 1, 0},
		{"both match: the oldest wins", [][]match{{m}, {m}}, nil, 0, 1},
		{"none matches, kept for a cluster not synced", nil, map[string]int{hello: 1}, 1, 0},
		{"none", nil, nil, -1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, p := range accepted {
				p.res.Conflicts, p.res.FQDNs = nil, nil
			}
			got := resolveOwner(hello, tt.byPolicy, accepted, tt.kept)
			if got != tt.want {
				t.Fatalf("owner %d, want %d", got, tt.want)
			}
			if got >= 0 && !slices.Equal(accepted[got].res.FQDNs, []string{hello}) {
				t.Errorf("owner's FQDNs %v", accepted[got].res.FQDNs)
			}
			for _, p := range accepted {
				if len(p.res.Conflicts) != tt.conflicts {
					t.Errorf("%s conflicts %v, want %d", p.obj.Name, p.res.Conflicts, tt.conflicts)
				}
			}
		})
	}
}

func TestRecordSettings(t *testing.T) {
	ttl := int32(9)
	accepted, _, _ := compiled(t, gdp("p", 0, func(s *v1alpha1.GlobalDeploymentPolicySpec) {
		s.HealthCheck = &v1alpha1.HealthCheck{Type: v1alpha1.HealthCheckTCP, Port: 443}
	}))
	rule := &hostRule{obj: &v1alpha1.GSLBHostRule{Spec: v1alpha1.GSLBHostRuleSpec{TTL: &ttl, Algorithm: v1alpha1.AlgorithmRandom}},
		res: &HostRuleResult{Accepted: true}, split: map[string]v1alpha1.TrafficSplit{"s2": {Cluster: "s2", Weight: 7}}}
	tests := []struct {
		name       string
		owner      *policy
		hr         *hostRule
		ttl        uint32
		alg        gslbv1.Algorithm
		s2Weight   int32
		probedPort uint16 // 0: not probed
	}{
		{"the policy's", accepted[0], nil, 2, gslbv1.Algorithm_ALGORITHM_WRR, 2, 443},
		{"the rule's fields win", accepted[0], rule, 9, gslbv1.Algorithm_ALGORITHM_RANDOM, 7, 443},
		{"a rule alone", nil, rule, 9, gslbv1.Algorithm_ALGORITHM_RANDOM, 7, 0},
	}
	zero := int32(0)
	zeroRule := &hostRule{obj: &v1alpha1.GSLBHostRule{Spec: v1alpha1.GSLBHostRuleSpec{TTL: &zero}}, res: &HostRuleResult{Accepted: true}}
	noTTL, _, _ := compiled(t, gdp("q", 0, func(s *v1alpha1.GlobalDeploymentPolicySpec) { s.TTL = nil }))
	// ttl 0 is served as 0; only a ttl left out is the name server's default.
	for _, tc := range []struct {
		name  string
		owner *policy
		hr    *hostRule
		want  *uint32
	}{
		{"a rule's ttl 0", accepted[0], zeroRule, proto.Uint32(0)},
		{"no ttl anywhere", noTTL[0], nil, nil},
		{"the policy's ttl 2", accepted[0], nil, proto.Uint32(2)},
	} {
		if rec, _ := recordSettings(hello, tc.owner, tc.hr); (rec.Ttl == nil) != (tc.want == nil) || (tc.want != nil && *rec.Ttl != *tc.want) {
			t.Errorf("%s: ttl %v, want %v", tc.name, rec.Ttl, tc.want)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, set := recordSettings(hello, tt.owner, tt.hr)
			if rec.Fqdn != hello || rec.GetTtl() != tt.ttl || rec.Algorithm != tt.alg || set.split["s2"].Weight != tt.s2Weight {
				t.Errorf("record %v split %v", rec, set.split)
			}
			if port := map[bool]uint16{true: set.check.Port}[set.probed]; port != tt.probedPort {
				t.Errorf("probed on %d, want %d", port, tt.probedPort)
			}
		})
	}
}

func TestMemberEntries(t *testing.T) {
	accepted, known, cs := compiled(t, gdp("p", 0))
	cs[1].State = ClusterUnreachable
	cs[2].State = ClusterExpired
	var ms []match
	for i := range cs {
		ms = append(ms, match{i, &cs[i].Objects[0]})
	}
	_, set := recordSettings(hello, accepted[0], nil)
	live, expired := memberEntries(hello, accepted[0], ms, Input{Clusters: cs}, known, nil, set)
	if len(live) != 2 || len(expired) != 1 || expired[0].m.Cluster != "s2" {
		t.Fatalf("live %v expired %v", live, expired)
	}
	if live[0].m.Stale != nil || live[1].m.Stale == nil || expired[0].m.Stale == nil {
		t.Errorf("stale marks: %v %v %v, want none on the cluster that is up", live[0].m.Stale, live[1].m.Stale, expired[0].m.Stale)
	}
}

func TestChooseMembers(t *testing.T) {
	e := func(c string) entry { return entry{m: &gslbv1.Member{Cluster: c}} }
	tests := []struct {
		name          string
		live, expired []entry
		want          string
		kept          bool
	}{
		{"live ones only", []entry{e("a")}, []entry{e("b")}, "a", false},
		{"nothing else left: the expired ones stay", nil, []entry{e("b")}, "b", true},
		{"none", nil, nil, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, kept := chooseMembers(tt.live, tt.expired)
			var cs []string
			for _, g := range got {
				cs = append(cs, g.m.Cluster)
			}
			if strings.Join(cs, ",") != tt.want || kept != tt.kept {
				t.Errorf("got %v kept %v", cs, kept)
			}
		})
	}
}

func TestClusterStatus(t *testing.T) {
	states := map[string]ClusterState{"s1az1": ClusterUp, "s1az2": ClusterUnreachable, "s2": ClusterExpired, "s3": ClusterExpired}
	records := map[string]*gslbv1.Record{
		"a.": {Fqdn: "a.", Members: []*gslbv1.Member{{Cluster: "s1az1"}, {Cluster: "s1az1"}, {Cluster: ""}}},
		"b.": {Fqdn: "b.", Members: []*gslbv1.Member{{Cluster: "s2"}}},
		"c.": {Fqdn: "c.", Members: []*gslbv1.Member{{Cluster: "s1az1"}, {Cluster: "s3"}}}, // not the policy's
	}
	tests := []struct {
		name  string
		fqdns []string
		kept  map[string]bool
		want  string
	}{
		{"members counted in the policy's FQDNs; an expired cluster kept", []string{"a.", "b.", "gone."}, map[string]bool{"b.": true},
			"s1az1=Synced/2 s1az2=Unreachable/0 s2=ExpiredKept/1 s3=Expired/0"},
		{"an expired cluster not kept is dropped", []string{"a.", "b."}, nil,
			"s1az1=Synced/2 s1az2=Unreachable/0 s2=Expired/1 s3=Expired/0"},
		{"another policy's kept FQDN does not count", []string{"a."}, map[string]bool{"c.": true},
			"s1az1=Synced/2 s1az2=Unreachable/0 s2=Expired/0 s3=Expired/0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, c := range clusterStatus([]string{"s1az1", "s1az2", "s2", "s3"}, func(n string) ClusterState { return states[n] }, tt.fqdns, records, tt.kept, nil) {
				got = append(got, c.Cluster+"="+c.State+"/"+itoa(uint32(c.Members)))
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("cluster status %v, want %s", got, tt.want)
			}
		})
	}
	if got := clusterStatus(nil, nil, []string{"a."}, records, nil, nil); got != nil {
		t.Errorf("no cluster: %v, want nil", got)
	}
}
