package table

// A host rule's public addresses: per member cluster, what the DNS answers
// for that cluster's members of the rule's FQDN, while the probes go to
// the load balancers' own addresses. They take precedence over the
// objects' public-addresses annotation (publicaddr.go): the host rule is
// the operator's override of one FQDN.

import (
	"fmt"
	"slices"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// compilePublic returns the valid public addresses of each member cluster
// (canonical, sorted, unique), the clusters named that are not members,
// and a note per value that is not an IP address, naming the field and
// the value. A cluster whose values are all invalid is left out: its
// members keep their own addresses.
func compilePublic(in []v1alpha1.ClusterAddresses, known map[string]int) (public map[string][]string, unknown, invalid []string) {
	for i, ca := range in {
		if _, ok := known[ca.Cluster]; !ok {
			unknown = append(unknown, ca.Cluster)
			continue
		}
		var addrs []string
		for j, s := range ca.Addresses {
			a, err := gslbv1.ParseAddress(s)
			if err != nil {
				invalid = append(invalid, fmt.Sprintf("publicAddresses[%d].addresses[%d] (cluster %s): %q is not an IP address, ignored", i, j, ca.Cluster, s))
				continue
			}
			addrs = append(addrs, a.String())
		}
		if len(addrs) == 0 {
			continue
		}
		if public == nil {
			public = map[string][]string{}
		}
		slices.Sort(addrs)
		public[ca.Cluster] = slices.Compact(append(public[ca.Cluster], addrs...))
	}
	return public, unknown, invalid
}

// withRulePublic is o answered with the host rule's public addresses of
// cluster, when the rule gives some: a copy, o is shared.
func withRulePublic(o *Object, public map[string][]string, cluster string) *Object {
	p, ok := public[cluster]
	if !ok {
		return o
	}
	c := *o
	c.Public = p
	return &c
}

// ValuesValid is the ValuesValid condition of a host rule: False when
// values of its spec were ignored, naming the first ones.
func ValuesValid(invalid []string, gen int64) metav1.Condition {
	c := metav1.Condition{Type: v1alpha1.ConditionValuesValid, Status: metav1.ConditionTrue, Reason: v1alpha1.ReasonValid,
		Message: "every value of the spec is used", ObservedGeneration: gen}
	if len(invalid) > 0 {
		c.Status, c.Reason = metav1.ConditionFalse, v1alpha1.ReasonInvalidValues
		c.Message = ignoredValues(invalid)
	}
	return c
}
