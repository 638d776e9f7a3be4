package kube

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gslbdns/gslb/syncer/kube/table"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestStateAt(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name      string
		up        bool
		down      time.Duration // how long ago it went down
		want      table.ClusterState
		wantSince bool
	}{
		{"up", true, time.Hour, table.ClusterUp, false},
		{"down within the grace", false, 59 * time.Second, table.ClusterUnreachable, true},
		{"down for the grace exactly", false, time.Minute, table.ClusterExpired, true},
		{"down past the grace", false, time.Hour, table.ClusterExpired, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			since := now.Add(-tc.down)
			st, at := stateAt(tc.up, since, time.Minute, now)
			if st != tc.want {
				t.Errorf("state %v, want %v", st, tc.want)
			}
			if want := map[bool]time.Time{true: since}[tc.wantSince]; !at.Equal(want) {
				t.Errorf("since %v, want %v", at, want)
			}
		})
	}
}

// TestClusterStatesReadNoObjects: the status writer's cluster states are
// what the full views say, read without converting a single object.
func TestClusterStatesReadNoObjects(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	up := newRandomCluster(r, "up").m
	_ = up.served.ing.Add(&networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "i",
		Labels: map[string]string{"app": "gslb"}}, Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{Host: "x.avi.iberia.local"}}}})
	unreachable := newRandomCluster(r, "unreachable").m
	unreachable.up, unreachable.downSince = false, time.Now().Add(-time.Second)
	expired := newRandomCluster(r, "expired").m
	expired.up, expired.downSince = false, time.Now().Add(-time.Hour)
	replacing := newRandomCluster(r, "replacing").m
	replacing.up, replacing.replacing = false, true
	ms := []*member{up, unreachable, expired, replacing}

	got := statesOf(ms)
	want := map[string]table.ClusterState{"up": table.ClusterUp, "unreachable": table.ClusterUnreachable, "expired": table.ClusterExpired, "replacing": table.ClusterUp}
	if len(got) != len(want) {
		t.Fatalf("%d states, want %d: %v", len(got), len(want), got)
	}
	for n, st := range want {
		if got[n] != st {
			t.Errorf("%s: %v, want %v", n, got[n], st)
		}
	}
	for _, m := range ms {
		if m.conv != nil {
			t.Errorf("%s: objects converted (%d): a view was built", m.name, len(m.conv))
		}
	}
	for i, v := range viewsOf(ms) {
		if v.State != got[v.Name] {
			t.Errorf("%s: view says %v, states say %v", v.Name, v.State, got[v.Name])
		}
		if i == 0 && len(v.Objects) != 1 {
			t.Errorf("up: view has %d objects, want the Ingress", len(v.Objects))
		}
	}
}
