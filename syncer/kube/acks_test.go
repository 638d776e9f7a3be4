package kube

import (
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"
	"github.com/gslbdns/gslb/syncer/source"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The acks follow each name server's acknowledgements of the table last
// published, whatever the order of Published and Acked (a plugin may ack
// before the sink hears of the table).
func TestAcks(t *testing.T) {
	s := New(Options{})
	table := []*gslbv1.Record{{Fqdn: "hello."}}
	if v := s.pushed(); v.records != nil || v.settling(time.Now()) <= 0 {
		t.Fatalf("before any table: %+v, settling %v; want none, waiting", v, v.settling(time.Now()))
	}
	s.Acked("unix:///b.sock", 1) // before Published
	s.Published(table, []source.TargetGeneration{{Target: "unix:///a.sock", Generation: 1}, {Target: "unix:///b.sock", Generation: 1}})
	v := s.pushed()
	if v.targets != 2 || v.acknowledged() != 1 || len(v.pending) != 1 || v.pending[0] != "unix:///a.sock" {
		t.Fatalf("a pending: %+v", v)
	}
	if d := v.settling(v.since.Add(time.Second)); d != ackWait-time.Second {
		t.Errorf("settling 1 s after the table: %v, want %v", d, ackWait-time.Second)
	}
	if d := v.settling(v.since.Add(ackWait)); d != 0 {
		t.Errorf("settling after ackWait: %v, want 0 (write that a has not acked)", d)
	}
	s.Acked("unix:///a.sock", 1)
	if v := s.pushed(); len(v.pending) != 0 || v.acknowledged() != 2 || v.settling(v.since) != 0 {
		t.Fatalf("both acked: %+v", v)
	}
	s.Published(table, []source.TargetGeneration{{Target: "unix:///a.sock", Generation: 2}, {Target: "unix:///b.sock", Generation: 2}})
	s.Acked("unix:///b.sock", 1) // late, older: changes nothing
	if v := s.pushed(); len(v.pending) != 2 {
		t.Fatalf("new table, none acked: %+v", v)
	}
}

// The Synced condition says what the name servers acknowledged.
func TestSyncedCondition(t *testing.T) {
	ok := &PolicyResult{Accepted: true, Clusters: []v1alpha1.ClusterSyncStatus{{Cluster: "s1", State: v1alpha1.StateSynced}, {Cluster: "s2", State: v1alpha1.StateUnreachable}}}
	up := map[string]ClusterState{"s1": ClusterUp, "s2": ClusterUp}
	table := []*gslbv1.Record{{Fqdn: "hello."}}
	tests := []struct {
		name   string
		r      *PolicyResult
		states map[string]ClusterState
		push   pushView
		want   metav1.Condition
	}{
		{"every name server acked", ok, up, pushView{records: table, targets: 2},
			metav1.Condition{Status: "True", Reason: v1alpha1.ReasonAcknowledged, Message: "the table built from every matched cluster is acknowledged by 2 of 2 name servers"}},
		{"one has not acked", ok, up, pushView{records: table, targets: 2, pending: []string{"tcp://192.0.2.53:8053"}},
			metav1.Condition{Status: "False", Reason: v1alpha1.ReasonNotAcknowledged, Message: "the table last published is acknowledged by 1 of 2 name servers; not by tcp://192.0.2.53:8053"}},
		{"nothing published", ok, up, pushView{},
			metav1.Condition{Status: "False", Reason: v1alpha1.ReasonNotAcknowledged, Message: "no table published to the name servers yet"}},
		{"a cluster unreachable: acks do not make it synced", ok, map[string]ClusterState{"s1": ClusterUp, "s2": ClusterUnreachable}, pushView{records: table, targets: 1},
			metav1.Condition{Status: "False", Reason: v1alpha1.ReasonClusterUnreachable, Message: "unreachable member clusters: s2 unreachable"}},
		{"not accepted", &PolicyResult{}, up, pushView{records: table, targets: 1},
			metav1.Condition{Status: "False", Reason: "NotAccepted", Message: "the policy is not accepted"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := synced(tt.r, tt.states, tt.push, 7)
			tt.want.Type, tt.want.ObservedGeneration = v1alpha1.ConditionSynced, 7
			if c != tt.want {
				t.Errorf("got  %+v\nwant %+v", c, tt.want)
			}
		})
	}
}
