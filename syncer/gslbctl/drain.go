package gslbctl

// Drains (gslbctl drain / undrain): a GSLBDrain object in the config
// cluster takes the members of a member cluster, or of a site, out of every
// answer; gslb-syncer watches them (syncer/kube/drain.go).

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"

	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
)

// DrainTarget is what a drain takes out: a cluster or a site (one of them).
type DrainTarget struct {
	Cluster, Site string
}

func (d DrainTarget) String() string {
	if d.Cluster != "" {
		return "cluster " + d.Cluster
	}
	return "site " + d.Site
}

func (d DrainTarget) validate() error {
	if (d.Cluster == "") == (d.Site == "") {
		return fmt.Errorf("give exactly one of --cluster and --site")
	}
	return nil
}

func (d DrainTarget) matches(s v1alpha1.GSLBDrainSpec) bool {
	return s.Cluster == d.Cluster && s.Site == d.Site
}

// DrainName is the name gslbctl gives the drain of t: "cluster-NAME" or
// "site-NAME", lower case; a name that is not a valid object name that way
// is cleaned up and gets a hash of the original, so two targets never share
// a name.
func DrainName(t DrainTarget) string {
	kind, name := "cluster", t.Cluster
	if t.Site != "" {
		kind, name = "site", t.Site
	}
	clean := []byte(strings.ToLower(name))
	for i, c := range clean {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' && c != '.' {
			clean[i] = '-'
		}
	}
	out := kind + "-" + strings.Trim(string(clean), "-.")
	if string(clean) != name {
		h := fnv.New32a()
		h.Write([]byte(name))
		out = fmt.Sprintf("%s-%08x", strings.TrimRight(out[:min(len(out), 200)], "-."), h.Sum32())
	}
	return out
}

// DrainResult is what Drain did.
type DrainResult struct {
	Name    string
	Created bool // false: the drain existed (its reason and author updated)
}

// Drain creates (or updates) the GSLBDrain of t with reason and by.
func Drain(ctx context.Context, dyn dynamic.Interface, t DrainTarget, reason, by string) (DrainResult, error) {
	if err := t.validate(); err != nil {
		return DrainResult{}, err
	}
	d := &v1alpha1.GSLBDrain{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.SchemeGroupVersion.String(), Kind: "GSLBDrain"},
		ObjectMeta: metav1.ObjectMeta{Name: DrainName(t)},
		Spec:       v1alpha1.GSLBDrainSpec{Cluster: t.Cluster, Site: t.Site, Reason: reason, DrainedBy: by},
	}
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(d)
	if err != nil {
		return DrainResult{}, err
	}
	res := dyn.Resource(v1alpha1.GSLBDrains)
	_, err = res.Create(ctx, &unstructured.Unstructured{Object: u}, metav1.CreateOptions{FieldManager: "gslbctl"})
	if !apierrors.IsAlreadyExists(err) {
		return DrainResult{Name: d.Name, Created: err == nil}, err
	}
	cur, err := res.Get(ctx, d.Name, metav1.GetOptions{})
	if err != nil {
		return DrainResult{}, err
	}
	cur.Object["spec"] = u["spec"]
	_, err = res.Update(ctx, cur, metav1.UpdateOptions{FieldManager: "gslbctl"})
	return DrainResult{Name: d.Name}, err
}

// Undrain deletes every drain of t (whatever its name, kubectl's too) and
// returns their names; none is an error.
func Undrain(ctx context.Context, dyn dynamic.Interface, t DrainTarget) ([]string, error) {
	if err := t.validate(); err != nil {
		return nil, err
	}
	all, err := ListDrains(ctx, dyn)
	if err != nil {
		return nil, err
	}
	var deleted []string
	for _, d := range all {
		if !t.matches(d.Spec) {
			continue
		}
		err := dyn.Resource(v1alpha1.GSLBDrains).Delete(ctx, d.Name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return deleted, err
		}
		deleted = append(deleted, d.Name)
	}
	if len(deleted) == 0 {
		return nil, fmt.Errorf("%s is not drained", t)
	}
	return deleted, nil
}

// ListDrains returns the drains of the config cluster, by name.
func ListDrains(ctx context.Context, dyn dynamic.Interface) ([]v1alpha1.GSLBDrain, error) {
	l, err := dyn.Resource(v1alpha1.GSLBDrains).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	out := make([]v1alpha1.GSLBDrain, len(l.Items))
	for i := range l.Items {
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(l.Items[i].Object, &out[i]); err != nil {
			return nil, fmt.Errorf("GSLBDrain %s: %v", l.Items[i].GetName(), err)
		}
	}
	slices.SortFunc(out, func(a, b v1alpha1.GSLBDrain) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// SitesOf returns the sites the policies place clusters in, each with its
// clusters: what a site's drain reaches.
func SitesOf(ctx context.Context, dyn dynamic.Interface) (map[string][]string, error) {
	l, err := dyn.Resource(v1alpha1.GlobalDeploymentPolicies).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, u := range l.Items {
		var p v1alpha1.GlobalDeploymentPolicy
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &p); err != nil || p.Spec.Routing == nil {
			continue
		}
		for _, s := range p.Spec.Routing.Sites {
			for _, c := range s.Clusters {
				if !slices.Contains(out[s.Name], c) {
					out[s.Name] = append(out[s.Name], c)
				}
			}
		}
	}
	return out, nil
}
