package table

import (
	"testing"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The Synced condition says what the name servers acknowledged.
func TestSyncedCondition(t *testing.T) {
	ok := &PolicyResult{Accepted: true, Clusters: []v1alpha1.ClusterSyncStatus{{Cluster: "s1", State: v1alpha1.StateSynced}, {Cluster: "s2", State: v1alpha1.StateUnreachable}}}
	up := map[string]ClusterState{"s1": ClusterUp, "s2": ClusterUp}
	tab := []*gslbv1.Record{{Fqdn: "hello."}}
	tests := []struct {
		name   string
		r      *PolicyResult
		states map[string]ClusterState
		push   Push
		want   metav1.Condition
	}{
		{"every name server acked", ok, up, Push{Records: tab, Targets: 2},
			metav1.Condition{Status: "True", Reason: v1alpha1.ReasonAcknowledged, Message: "the table built from every matched cluster is acknowledged by 2 of 2 name servers"}},
		{"one has not acked", ok, up, Push{Records: tab, Targets: 2, Pending: []string{"tcp://192.0.2.53:8053"}},
			metav1.Condition{Status: "False", Reason: v1alpha1.ReasonNotAcknowledged, Message: "the table last published is acknowledged by 1 of 2 name servers; not by tcp://192.0.2.53:8053"}},
		{"nothing published", ok, up, Push{},
			metav1.Condition{Status: "False", Reason: v1alpha1.ReasonNotAcknowledged, Message: "no table published to the name servers yet"}},
		{"a cluster unreachable: acks do not make it synced", ok, map[string]ClusterState{"s1": ClusterUp, "s2": ClusterUnreachable}, Push{Records: tab, Targets: 1},
			metav1.Condition{Status: "False", Reason: v1alpha1.ReasonClusterUnreachable, Message: "unreachable member clusters: s2 unreachable"}},
		{"not accepted", &PolicyResult{}, up, Push{Records: tab, Targets: 1},
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
