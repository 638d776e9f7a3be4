package kube

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"
	"github.com/gslbdns/gslb/syncer/kube/internal/kubetest"
	"github.com/gslbdns/gslb/syncer/kube/table"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
)

// statusFixture is a config cluster in sample-controller's fixture style:
// a fake dynamic client holding the policies, the informers' stores
// holding the same, and a fake Event recorder.
type statusFixture struct {
	dyn      *dynamicfake.FakeDynamicClient
	recorder *record.FakeRecorder
	w        *statusWriter
}

func newStatusFixture(t *testing.T, policies ...*v1alpha1.GlobalDeploymentPolicy) *statusFixture {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	objs := make([]runtime.Object, len(policies))
	gdp := cache.NewSharedIndexInformer(&cache.ListWatch{}, &v1alpha1.GlobalDeploymentPolicy{}, 0, cache.Indexers{})
	for i, p := range policies {
		objs[i] = p
		if err := gdp.GetStore().Add(p); err != nil {
			t.Fatal(err)
		}
	}
	ghr := cache.NewSharedIndexInformer(&cache.ListWatch{}, &v1alpha1.GSLBHostRule{}, 0, cache.Indexers{})
	f := &statusFixture{dyn: dynamicfake.NewSimpleDynamicClient(scheme, objs...), recorder: record.NewFakeRecorder(10)}
	f.w = &statusWriter{cc: &configCluster{dyn: f.dyn, gdp: gdp, ghr: ghr, recorder: f.recorder}}
	return f
}

// statusPatches are the status patches the writer sent, by object name.
func (f *statusFixture) statusPatches(t *testing.T) map[string]v1alpha1.GlobalDeploymentPolicyStatus {
	t.Helper()
	out := map[string]v1alpha1.GlobalDeploymentPolicyStatus{}
	for _, a := range f.dyn.Actions() {
		p, ok := a.(k8stesting.PatchAction)
		if !ok || p.GetSubresource() != "status" {
			continue
		}
		var ops []struct {
			Op, Path string
			Value    v1alpha1.GlobalDeploymentPolicyStatus
		}
		if err := json.Unmarshal(p.GetPatch(), &ops); err != nil || len(ops) != 1 || ops[0].Op != "add" || ops[0].Path != "/status" {
			t.Fatalf("patch of %s: %s (%v), want one add of /status", p.GetName(), p.GetPatch(), err)
		}
		out[p.GetName()] = ops[0].Value
	}
	return out
}

// One write: each policy's status is patched whole, with the conflict
// recorded once per policy as an Event and Synced saying what the name servers
// acknowledged; a second write of the same result patches nothing.
func TestStatusWriterWrite(t *testing.T) {
	older, newer := kubetest.Policy("older", 0), kubetest.Policy("newer", 5)
	f := newStatusFixture(t, older, newer)
	cs := []table.ClusterView{{Name: "s1az1"}, {Name: "s1az2"}, {Name: "s2"}}
	for i := range cs {
		cs[i].Objects = []table.Object{{Kind: "Ingress", Namespace: "default", Name: "hello", Labels: map[string]string{"app": "gslb"},
			FQDNs: []string{kubetest.Hello}, Addresses: []string{"127.0.0.1" + string(rune('1'+i))}}}
	}
	res := table.Build(table.Input{Clusters: cs, Policies: []*v1alpha1.GlobalDeploymentPolicy{older, newer}})
	states := map[string]table.ClusterState{"s1az1": table.ClusterUp, "s1az2": table.ClusterUp, "s2": table.ClusterUp}
	push := table.Push{Records: res.Records, Targets: 1}

	if err := f.w.write(context.Background(), res, states, push); err != nil {
		t.Fatal(err)
	}
	got := f.statusPatches(t)
	if len(got) != 2 {
		t.Fatalf("patched %d policies, want 2", len(got))
	}
	if st := got["older"]; st.FQDNCount != 1 || len(st.Conflicts) != 1 || !conditionIs(st.Conditions, v1alpha1.ConditionSynced, metav1.ConditionTrue) {
		t.Errorf("older: %+v, want its FQDN, the conflict, Synced", st)
	}
	if st := got["newer"]; st.FQDNCount != 0 || len(st.Conflicts) != 1 || !conditionIs(st.Conditions, v1alpha1.ConditionAccepted, metav1.ConditionTrue) {
		t.Errorf("newer: %+v, want no FQDN and the conflict", st)
	}
	for range 2 { // one per policy
		select {
		case e := <-f.recorder.Events:
			if !strings.HasPrefix(e, "Warning FQDNConflict "+kubetest.Hello) {
				t.Errorf("event %q, want the FQDN's conflict", e)
			}
		default:
			t.Fatal("no Event for a policy's conflict")
		}
	}

	// The objects now carry what was written: nothing to patch, no Event again.
	older.Status, newer.Status = got["older"], got["newer"]
	f.dyn.ClearActions()
	if err := f.w.write(context.Background(), res, states, push); err != nil {
		t.Fatal(err)
	}
	if again := f.statusPatches(t); len(again) != 0 {
		t.Errorf("second write patched %v, want nothing", again)
	}
	if len(f.recorder.Events) != 0 {
		t.Errorf("the conflict recorded again: %q", <-f.recorder.Events)
	}
}

func conditionIs(cs []metav1.Condition, typ string, status metav1.ConditionStatus) bool {
	for _, c := range cs {
		if c.Type == typ {
			return c.Status == status
		}
	}
	return false
}
