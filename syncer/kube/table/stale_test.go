package table

import (
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"
	"github.com/gslbdns/gslb/syncer/health"
)

// A cluster not synced yet keeps the members the plugin served for it,
// with the policy's weights, probed, marked stale since last seen; once
// expired they leave unless nothing else is left; a policy that no longer
// selects the cluster drops them.
func TestBuildKeptMembers(t *testing.T) {
	lastSeen := t0.Add(-time.Minute)
	kept := map[string][]*gslbv1.Member{
		hello:                    {{Address: "127.0.0.13", Weight: 9, Cluster: "s2", Health: gslbv1.Health_HEALTH_UP, HealthReason: "HTTP 200 from GET /"}},
		"only.avi.iberia.local.": {{Address: "127.0.0.23", Weight: 1, Cluster: "s2"}},
		"outside.example.com.":   {{Address: "127.0.0.33", Weight: 1, Cluster: "s2"}},
	}
	withS2 := func(state ClusterState) []ClusterView {
		cs := scenario()
		cs[2] = ClusterView{Name: "s2", State: state, Since: lastSeen, Kept: kept}
		return cs
	}
	probe := func(s *v1alpha1.GlobalDeploymentPolicySpec) {
		s.HealthCheck = &v1alpha1.HealthCheck{Type: v1alpha1.HealthCheckHTTP, Port: 8080}
	}
	tests := []struct {
		name   string
		state  ClusterState
		policy *v1alpha1.GlobalDeploymentPolicy
		want   map[string]string // fqdn → brief
		stale  bool              // s2's members marked stale
		probed bool
	}{
		{"unreachable within grace: kept with the policy's split", ClusterUnreachable, gdp("p", 0), map[string]string{
			hello:                    "s1az1=127.0.0.11/6/0 s1az2=127.0.0.12/4/0 s2=127.0.0.13/2/0",
			"only.avi.iberia.local.": "s2=127.0.0.23/2/0",
		}, true, false},
		{"probed: the policy's check on the check's port", ClusterUnreachable, gdp("p", 0, probe), map[string]string{
			hello:                    "s1az1=127.0.0.11/6/0 s1az2=127.0.0.12/4/0 s2=127.0.0.13/2/0",
			"only.avi.iberia.local.": "s2=127.0.0.23/2/0",
		}, true, true},
		{"expired: leave, except where nothing else is left", ClusterExpired, gdp("p", 0), map[string]string{
			hello:                    "s1az1=127.0.0.11/6/0 s1az2=127.0.0.12/4/0",
			"only.avi.iberia.local.": "s2=127.0.0.23/2/0",
		}, true, false},
		{"the policy no longer selects the cluster: dropped", ClusterUnreachable, gdp("p", 0, func(s *v1alpha1.GlobalDeploymentPolicySpec) {
			s.MatchClusters = []string{"s1az1", "s1az2"}
		}), map[string]string{hello: "s1az1=127.0.0.11/6/0 s1az2=127.0.0.12/4/0"}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Build(Input{Clusters: withS2(tt.state), Policies: []*v1alpha1.GlobalDeploymentPolicy{tt.policy}, Zones: []string{"avi.iberia.local."}})
			got := map[string]string{}
			for _, hr := range res.Records {
				r := hr
				got[r.Fqdn] = brief(r)
				for j, m := range r.Members {
					if m.Cluster != "s2" {
						if m.Stale != nil {
							t.Errorf("%s %s: stale %v, want none (its cluster is up)", r.Fqdn, m.Address, m.Stale)
						}
						continue
					}
					if tt.stale && (m.Stale == nil || m.Stale.SinceUnixNano != lastSeen.UnixNano() || m.Stale.Reason == "") {
						t.Errorf("%s %s: stale %v, want since %v with a reason", r.Fqdn, m.Address, m.Stale, lastSeen)
					}
					probed := health.ChecksOf(hr) != nil && health.ChecksOf(hr)[j] != nil
					if probed != tt.probed {
						t.Errorf("%s %s: probed %v, want %v", r.Fqdn, m.Address, probed, tt.probed)
					}
					if probed && (health.ChecksOf(hr)[j].Port != 8080 || m.Health != gslbv1.Health_HEALTH_UNKNOWN) {
						t.Errorf("%s %s: port %d health %v, want 8080 and unknown (the prober seeds it)", r.Fqdn, m.Address, health.ChecksOf(hr)[j].Port, m.Health)
					}
					if !probed && r.Fqdn == hello && m.Health != gslbv1.Health_HEALTH_UP {
						t.Errorf("%s %s: health %v, want the served one (up)", r.Fqdn, m.Address, m.Health)
					}
				}
			}
			if len(got) != len(tt.want) {
				t.Errorf("records %v, want %v", got, tt.want)
			}
			for f, w := range tt.want {
				if got[f] != w {
					t.Errorf("%s: %q, want %q", f, got[f], w)
				}
			}
		})
	}
}

// seedClusters splits the seed by cluster; a cluster's last-seen time is
// the earliest stale mark of its members, else the seed's time.
func TestSeedClusters(t *testing.T) {
	at := t0
	down := t0.Add(-30 * time.Second)
	seed := []*gslbv1.Record{
		{Fqdn: hello, Members: []*gslbv1.Member{
			{Address: "127.0.0.11", Cluster: "s1az1"},
			{Address: "127.0.0.13", Cluster: "s2", Stale: &gslbv1.Stale{SinceUnixNano: down.UnixNano(), Reason: "x"}},
			{Address: "192.0.2.1"}, // a third-party member: the config cluster's
		}},
		{Fqdn: "two.avi.iberia.local.", Members: []*gslbv1.Member{{Address: "127.0.0.23", Cluster: "s2"}}},
	}
	got := SeedClusters(seed, at)
	if len(got) != 2 {
		t.Fatalf("clusters %v, want s1az1 and s2", got)
	}
	if !got["s1az1"].LastSeen.Equal(at) || !got["s2"].LastSeen.Equal(down) {
		t.Errorf("last seen s1az1 %v s2 %v, want %v and %v", got["s1az1"].LastSeen, got["s2"].LastSeen, at, down)
	}
	if n := len(got["s2"].Members); n != 2 {
		t.Errorf("s2 keeps %d FQDNs, want 2", n)
	}
}

// KeptTable marks every record stale, keeping an earlier mark.
func TestKeptTable(t *testing.T) {
	earlier := &gslbv1.Stale{SinceUnixNano: t0.Add(-time.Hour).UnixNano(), Reason: ReasonConfigNotSynced}
	seed := []*gslbv1.Record{
		{Fqdn: "b.example.", Members: []*gslbv1.Member{{Address: "192.0.2.2"}}},
		{Fqdn: "a.example.", Stale: earlier, Members: []*gslbv1.Member{{Address: "192.0.2.1"}}},
	}
	recs := KeptTable(seed, t0)
	if recs[0].Fqdn != "a.example." || recs[0].Stale.SinceUnixNano != earlier.SinceUnixNano {
		t.Errorf("first %v, want a.example. stale since the earlier mark", recs[0])
	}
	if st := recs[1].Stale; st == nil || st.SinceUnixNano != t0.UnixNano() || st.Reason != ReasonConfigNotSynced {
		t.Errorf("b.example. stale %v, want since the seed", st)
	}
	if seed[0].Stale != nil {
		t.Error("keptTable modified the seed")
	}
}

// keptTable probes the seed's members with the checks the table carries
// (a restart while the config cluster is unreachable); Build writes them.
func TestKeptTableChecks(t *testing.T) {
	tcp := health.Check{Type: health.TypeTCP, Port: 8080, Interval: 200 * time.Millisecond, Timeout: 100 * time.Millisecond, Rise: 2, Fall: 3}
	seed := []*gslbv1.Record{{Fqdn: hello, Members: []*gslbv1.Member{
		{Address: "127.0.0.11", Cluster: "s1az1", Check: tcp.Proto(), Health: gslbv1.Health_HEALTH_DOWN, HealthReason: "connection refused"},
		{Address: "127.0.0.12", Cluster: "s1az2", Health: gslbv1.Health_HEALTH_UP},
		{Address: "127.0.0.13", Cluster: "s2", Check: tcp.Proto(), Health: gslbv1.Health_HEALTH_DOWN, HealthReason: DrainReasonPrefix + "x"},
	}}}
	recs := KeptTable(seed, t0)
	if len(recs) != 1 || len(health.ChecksOf(recs[0])) != 3 {
		t.Fatalf("kept %+v, want hello with a check per member", recs)
	}
	if c := health.ChecksOf(recs[0])[0]; c == nil || *c != tcp {
		t.Errorf("127.0.0.11 probed with %+v, want %+v", c, tcp)
	}
	if health.ChecksOf(recs[0])[1] != nil {
		t.Errorf("127.0.0.12 probed with %+v, want not probed (it carries no check)", health.ChecksOf(recs[0])[1])
	}
	// The probed member starts unknown (the prober seeds it from the
	// served DOWN, and its probes can lift it); the others as served.
	want := []gslbv1.Health{gslbv1.Health_HEALTH_UNKNOWN, gslbv1.Health_HEALTH_UP, gslbv1.Health_HEALTH_DOWN}
	for j, m := range recs[0].Members {
		if m.Health != want[j] {
			t.Errorf("%s starts %v, want %v", m.Address, m.Health, want[j])
		}
	}
	if seed[0].Members[0].Health != gslbv1.Health_HEALTH_DOWN {
		t.Error("keptTable modified the seed")
	}

	res := Build(Input{Clusters: scenario(), Policies: []*v1alpha1.GlobalDeploymentPolicy{gdp("p", 0, func(s *v1alpha1.GlobalDeploymentPolicySpec) {
		s.HealthCheck = &v1alpha1.HealthCheck{Type: v1alpha1.HealthCheckTCP, Port: 8080}
	})}, Zones: []string{"avi.iberia.local."}})
	if len(res.Records) == 0 {
		t.Fatalf("Build gave %+v, want probed records", res.Records)
	}
	for _, r := range res.Records {
		for _, m := range r.Members {
			if c := health.MemberCheck(m); c == nil || c.Type != health.TypeTCP || c.Port != 8080 {
				t.Errorf("%s %s carries %+v, want the policy's tcp check on 8080", r.Fqdn, m.Address, c)
			}
		}
	}
}

// A member kept for a cluster not synced is probed on the port the table
// carries for it when the policy's check names none.
func TestKeptMemberCarriedPort(t *testing.T) {
	cv := &ClusterView{Name: "s2", State: ClusterUnreachable, Since: t0, Kept: map[string][]*gslbv1.Member{
		hello: {{Address: "127.0.0.13", Cluster: "s2", Check: &gslbv1.HealthCheck{Type: gslbv1.CheckType_CHECK_TYPE_HTTP, Port: 8443}}},
	}}
	es := KeptEntries(cv, hello, nil, health.Check{Type: health.TypeHTTP}, true)
	if len(es) != 1 || es[0].check == nil || es[0].check.Port != 8443 {
		t.Fatalf("kept entries %+v, want 127.0.0.13 probed on 8443", es)
	}
	es = KeptEntries(cv, hello, nil, health.Check{Type: health.TypeHTTP, Port: 9000}, true)
	if es[0].check.Port != 9000 {
		t.Errorf("port %d, want the policy's 9000", es[0].check.Port)
	}
}
