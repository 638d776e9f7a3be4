package kube

import (
	"fmt"
	"testing"

	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// scaleInput is 3 clusters × n Ingresses (one FQDN each) and one policy.
func scaleInput(n int) Input {
	in := Input{Zones: []string{"avi.iberia.local."}}
	for c := range 3 {
		cv := ClusterView{Name: fmt.Sprintf("c%d", c), NamespaceLabels: map[string]map[string]string{"default": nil}}
		for i := range n {
			cv.Objects = append(cv.Objects, Object{Kind: "Ingress", Namespace: "default", Name: fmt.Sprintf("p%05d", i),
				Labels: map[string]string{"app": "gslb"}, FQDNs: []string{fmt.Sprintf("p%05d.avi.iberia.local.", i)},
				Addresses: []string{fmt.Sprintf("127.%d.%d.%d", 20+c, i/250, i%250+1)}})
		}
		in.Clusters = append(in.Clusters, cv)
	}
	ttl := int32(30)
	in.Policies = []*v1alpha1.GlobalDeploymentPolicy{{
		ObjectMeta: metav1.ObjectMeta{Namespace: "gslb", Name: "p"},
		Spec: v1alpha1.GlobalDeploymentPolicySpec{
			MatchRules:   v1alpha1.MatchRules{AppSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "gslb"}}},
			TTL:          &ttl,
			TrafficSplit: []v1alpha1.TrafficSplit{{Cluster: "c0", Weight: 6}, {Cluster: "c1", Weight: 4}, {Cluster: "c2", Weight: 2}},
		},
	}}
	return in
}

func BenchmarkBuild(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		in := scaleInput(n)
		b.Run(fmt.Sprintf("fqdns=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if r := Build(in); len(r.Records) != n {
					b.Fatalf("%d records", len(r.Records))
				}
			}
		})
	}
}
