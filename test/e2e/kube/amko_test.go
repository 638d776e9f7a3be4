package kube

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"
	"github.com/gslbdns/gslb/test/e2e/harness"
	"github.com/gslbdns/gslb/test/kubescenario"

	"github.com/miekg/dns"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// convertAMKO runs bin/gslbctl convert amko on file and returns our objects.
func convertAMKO(t *testing.T, file string) []*unstructured.Unstructured {
	t.Helper()
	dir := t.TempDir()
	ctl(t, 0, "convert", "amko", file, "-o", dir, "--config-context", "s1az1")
	b, err := os.ReadFile(filepath.Join(dir, "gslb.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var objs []*unstructured.Unstructured
	for doc := range strings.SplitSeq(string(b), "\n---") {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
			t.Fatalf("gslb.yaml: %v", err)
		}
		if len(u.Object) > 0 {
			objs = append(objs, u)
		}
	}
	if len(objs) == 0 {
		t.Fatalf("gslbctl convert amko %s wrote no objects", file)
	}
	return objs
}

// applyObjects applies our objects to the config cluster as `kubectl apply
// --server-side` does.
func (l *lab) applyObjects(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	for _, u := range objs {
		gvr := v1alpha1.GlobalDeploymentPolicies
		if u.GetKind() == "GSLBHostRule" {
			gvr = v1alpha1.GSLBHostRules
		}
		if _, err := l.dyn.Resource(gvr).Namespace(u.GetNamespace()).Apply(l.ctx, u.GetName(), u, metav1.ApplyOptions{FieldManager: "kubectl", Force: true}); err != nil {
			t.Fatalf("apply %s %s/%s: %v", u.GetKind(), u.GetNamespace(), u.GetName(), err)
		}
	}
}

// TestKubeConvertAMKO: the scenario's AMKO objects (global-gdp 6:4:2 and
// gc-1, syncer/gslbctl/testdata/amko/scenario.yaml) converted by the real
// gslbctl and applied to the config cluster in place of the lab's own
// policy serve hello exactly 6:4:2; the AMKO object edited to the canary's
// 20:20:1 and converted again, applied over it, serves exactly 20:20:1.
func TestKubeConvertAMKO(t *testing.T) {
	l := startLab(t, "")
	l.expectSplit(t, [3]int32{6, 4, 2})
	fixture := filepath.Join(harness.RepoRoot(t), "syncer", "gslbctl", "testdata", "amko", "scenario.yaml")
	must(t, kubescenario.EnsureNamespace(l.ctx, l.cs["s1az1"], "avi-system", nil))

	t.Run("converted: 6:4:2, the lab's policy gone", func(t *testing.T) {
		objs := convertAMKO(t, fixture)
		l.applyObjects(t, objs)
		err := l.dyn.Resource(v1alpha1.GlobalDeploymentPolicies).Namespace(kubescenario.PolicyNS).Delete(l.ctx, kubescenario.GDPName, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			t.Fatal(err)
		}
		l.waitGDP(t, "avi-system", "global-gdp")
		// AMKO's policy sets no ttl: the Corefile's 30 s, where the lab's
		// policy had 2 s.
		harness.Eventually(t, wait, func() error {
			if _, ttl, _ := l.answers(t, hello, dns.TypeA, 1); ttl != 30 {
				return fmt.Errorf("hello's TTL %d: the lab's policy still serves it", ttl)
			}
			return nil
		})
		l.expectSplitTTL(t, [3]int32{6, 4, 2}, 30)
	})

	t.Run("AMKO object edited to 20:20:1, converted again: 20:20:1", func(t *testing.T) {
		b, err := os.ReadFile(fixture)
		must(t, err)
		edited := strings.NewReplacer("weight: 6", "weight: 20", "weight: 4", "weight: 20", "weight: 2", "weight: 1").Replace(string(b))
		if edited == string(b) {
			t.Fatal("the fixture's weights were not found")
		}
		path := filepath.Join(t.TempDir(), "amko.yaml")
		must(t, os.WriteFile(path, []byte(edited), 0o644))
		l.applyObjects(t, convertAMKO(t, path))
		l.expectSplitTTL(t, [3]int32{20, 20, 1}, 30)
	})
}

// waitGDP waits until the policy ns/name is accepted and serves hello alone.
func (l *lab) waitGDP(t *testing.T, ns, name string) {
	t.Helper()
	harness.Eventually(t, wait, func() error {
		u, err := l.dyn.Resource(v1alpha1.GlobalDeploymentPolicies).Namespace(ns).Get(l.ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		fqdns, _, _ := unstructured.NestedStringSlice(u.Object, "status", "matchedFQDNs")
		conflicts, _, _ := unstructured.NestedSlice(u.Object, "status", "conflicts")
		if !slices.Contains(fqdns, hello) || len(conflicts) > 0 {
			return fmt.Errorf("policy %s/%s: matched %v, conflicts %v", ns, name, fqdns, conflicts)
		}
		return nil
	})
}
