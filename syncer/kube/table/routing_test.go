package table

import (
	"strings"
	"testing"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"

	"google.golang.org/protobuf/proto"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// sitesRouting is the scenario's sites: s1az1 and s1az2 in SITE1, s2 in SITE2.
func sitesRouting() *v1alpha1.Routing {
	return &v1alpha1.Routing{
		Sites: []v1alpha1.Site{
			{Name: "SITE1", Clusters: []string{"s1az1", "s1az2"}, Clients: []string{"192.0.2.0/24"}, Location: &v1alpha1.Location{Latitude: "40.42", Longitude: "-3.70"}},
			{Name: "SITE2", Clusters: []string{"s2"}, Clients: []string{"198.51.100.0/24"}},
		},
		SiteOrder: []string{"SITE1", "SITE2"},
	}
}

func TestBuildRouting(t *testing.T) {
	topo := gdp("p", 0, func(s *v1alpha1.GlobalDeploymentPolicySpec) {
		s.Algorithm, s.Routing = v1alpha1.AlgorithmTopology, sitesRouting()
	})
	r := Build(Input{Clusters: scenario(), Policies: []*v1alpha1.GlobalDeploymentPolicy{topo}})
	if len(r.Records) != 1 || !r.Policies["gslb/p"].Accepted {
		t.Fatalf("records %v, policy %+v", r.Records, r.Policies["gslb/p"])
	}
	rec := r.Records[0]
	var sites []string
	for _, m := range rec.Members {
		sites = append(sites, m.Cluster+"="+m.Site)
	}
	if strings.Join(sites, " ") != "s1az1=SITE1 s1az2=SITE1 s2=SITE2" {
		t.Errorf("member sites %v", sites)
	}
	want := &gslbv1.Routing{
		Topology:  []*gslbv1.ClientNetwork{{Cidr: "192.0.2.0/24", Site: "SITE1"}, {Cidr: "198.51.100.0/24", Site: "SITE2"}},
		SiteOrder: []string{"SITE1", "SITE2"},
		Locations: []*gslbv1.SiteLocation{{Site: "SITE1", Latitude: 40.42, Longitude: -3.70}},
	}
	if rec.Algorithm != gslbv1.Algorithm_ALGORITHM_TOPOLOGY || !proto.Equal(rec.Routing, want) || rec.Origin != "GlobalDeploymentPolicy gslb/p" {
		t.Errorf("record %v", rec)
	}
	if err := gslbv1.ValidateRecord(rec); err != nil {
		t.Error(err)
	}

	// A host rule switches this FQDN to Geo: SITE2 has no location, SITE1
	// has; valid. To ConsistentHash: valid without sites.
	for _, alg := range []v1alpha1.Algorithm{v1alpha1.AlgorithmGeo, v1alpha1.AlgorithmConsistentHash} {
		hr := &v1alpha1.GSLBHostRule{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "hello"},
			Spec: v1alpha1.GSLBHostRuleSpec{FQDN: hello, Algorithm: alg}}
		r = Build(Input{Clusters: scenario(), Policies: []*v1alpha1.GlobalDeploymentPolicy{topo}, HostRules: []*v1alpha1.GSLBHostRule{hr}})
		rec = r.Records[0]
		if rec.Algorithm != routedAlgorithms[alg] || rec.Origin != "GlobalDeploymentPolicy gslb/p, GSLBHostRule default/hello" {
			t.Errorf("%s: record %v", alg, rec)
		}
	}
}

func TestBuildRoutingInvalid(t *testing.T) {
	for _, tc := range []struct {
		name string
		mut  func(*v1alpha1.Routing)
		alg  v1alpha1.Algorithm
		want string
	}{
		{"host bits", func(r *v1alpha1.Routing) { r.Sites[0].Clients = []string{"192.0.2.1/24"} }, v1alpha1.AlgorithmTopology,
			`routing: topology 1: CIDR "192.0.2.1/24" has host bits set; did you mean 192.0.2.0/24?`},
		{"cluster in two sites", func(r *v1alpha1.Routing) { r.Sites[1].Clusters = []string{"s1az1"} }, v1alpha1.AlgorithmWRR,
			`routing: cluster "s1az1" is in sites "SITE1" and "SITE2"`},
		{"latitude", func(r *v1alpha1.Routing) { r.Sites[0].Location.Latitude = "91" }, v1alpha1.AlgorithmGeo,
			`routing: location of site "SITE1": latitude 91 is not within -90..90`},
		{"topology without clients", func(r *v1alpha1.Routing) { r.Sites[0].Clients, r.Sites[1].Clients = nil, nil }, v1alpha1.AlgorithmTopology,
			"routing: algorithm TOPOLOGY needs at least one client network in topology"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := sitesRouting()
			tc.mut(rt)
			p := gdp("p", 0, func(s *v1alpha1.GlobalDeploymentPolicySpec) { s.Algorithm, s.Routing = tc.alg, rt })
			res := Build(Input{Clusters: scenario(), Policies: []*v1alpha1.GlobalDeploymentPolicy{p}}).Policies["gslb/p"]
			if res.Accepted || res.Reason != v1alpha1.ReasonInvalidRouting || res.Message != tc.want {
				t.Errorf("policy %+v, want InvalidRouting %q", res, tc.want)
			}
		})
	}
	// A host rule asking for Geo where the policy has no locations: the
	// record answers by WRR and the rule says why.
	p := gdp("p", 0)
	hr := &v1alpha1.GSLBHostRule{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "hello"},
		Spec: v1alpha1.GSLBHostRuleSpec{FQDN: hello, Algorithm: v1alpha1.AlgorithmGeo}}
	r := Build(Input{Clusters: scenario(), Policies: []*v1alpha1.GlobalDeploymentPolicy{p}, HostRules: []*v1alpha1.GSLBHostRule{hr}})
	rule := r.HostRules["default/hello"]
	if r.Records[0].Algorithm != gslbv1.Algorithm_ALGORITHM_WRR || rule.Accepted || rule.Reason != v1alpha1.ReasonInvalidRouting ||
		!strings.Contains(rule.Message, "needs at least one site location; answering by WRR") {
		t.Errorf("record %v, rule %+v", r.Records[0], rule)
	}
}
