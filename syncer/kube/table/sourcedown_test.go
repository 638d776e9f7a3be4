package table

import (
	"testing"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"
	"github.com/gslbdns/gslb/syncer/health"
)

// Kept without its source, a probed member served DOWN by its source's
// readiness stays DOWN with its reason (passing probes must not bring it
// back); one DOWN by its probes starts UNKNOWN and is probed again. Both
// where the config cluster has not synced (keptTable) and where a member
// cluster has not (keptEntries).
func TestKeptMembersKeepSourceDown(t *testing.T) {
	tcp := health.Check{Type: health.TypeTCP, Port: 8080, Interval: 200_000_000, Timeout: 100_000_000, Rise: 2, Fall: 3}
	const notReady = "0/2 endpoints ready in service default/hello"
	seed := []*gslbv1.Record{{Fqdn: hello, Members: []*gslbv1.Member{
		{Address: "127.0.0.11", Cluster: "s1az1", Check: tcp.Proto(), Health: gslbv1.Health_HEALTH_DOWN, HealthReason: notReady},
		{Address: "127.0.0.12", Cluster: "s1az2", Check: tcp.Proto(), Health: gslbv1.Health_HEALTH_DOWN, HealthReason: "connection refused"},
	}}}
	ms := KeptTable(seed, t0)[0].Members
	if ms[0].Health != gslbv1.Health_HEALTH_DOWN || ms[0].HealthReason != notReady || ms[1].Health != gslbv1.Health_HEALTH_UNKNOWN {
		t.Errorf("config not synced: kept %v (%q) and %v, want DOWN (%q) and UNKNOWN", ms[0].Health, ms[0].HealthReason, ms[1].Health, notReady)
	}
	cv := &ClusterView{Name: "s1az1", State: ClusterUnreachable, Since: t0, Kept: map[string][]*gslbv1.Member{hello: seed[0].Members}}
	es := KeptEntries(cv, hello, nil, tcp, true)
	if es[0].m.Health != gslbv1.Health_HEALTH_DOWN || es[0].m.HealthReason != notReady || es[1].m.Health != gslbv1.Health_HEALTH_UNKNOWN {
		t.Errorf("cluster not synced: kept %v (%q) and %v, want DOWN (%q) and UNKNOWN", es[0].m.Health, es[0].m.HealthReason, es[1].m.Health, notReady)
	}
}

// Every reason readiness gives is recognised as the source's.
func TestReadinessReasonsRecognised(t *testing.T) {
	o := &Object{Namespace: "default", Backends: sameBackends([]string{hello}, []string{"a", "b"})}
	for _, tc := range []struct {
		mode v1alpha1.EndpointReadiness
		eps  map[string]EndpointCount
	}{
		{v1alpha1.ReadinessAll, map[string]EndpointCount{"default/a": {Ready: 1, Total: 1}, "default/b": {Total: 2}}},
		{v1alpha1.ReadinessAll, map[string]EndpointCount{"default/a": {Ready: 1, Total: 1}}},
		{v1alpha1.ReadinessAny, map[string]EndpointCount{"default/b": {Total: 2}}},
	} {
		ok, why := readiness(tc.mode, tc.eps, o, hello)
		m := &gslbv1.Member{Health: gslbv1.Health_HEALTH_DOWN, HealthReason: why}
		if ok || !downBySource(m) {
			t.Errorf("%s %v: ready %v, reason %q not recognised as the source's", tc.mode, tc.eps, ok, why)
		}
	}
}
