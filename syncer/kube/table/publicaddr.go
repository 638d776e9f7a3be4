package table

// Public addresses: what the DNS answers for an object whose load balancer
// is behind NAT or a proxy, while the probes go to the load balancer's own
// address.

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PublicAddresses parses the public-addresses annotation of the object
// kind namespace/name: the valid addresses (canonical, sorted, unique), and
// one note per value that is not an IP address, naming the object and the
// value. No annotation: none.
func PublicAddresses(kind, namespace, name string, annotations map[string]string) (addrs, invalid []string) {
	v, ok := annotations[v1alpha1.AnnotationPublicAddresses]
	if !ok {
		return nil, nil
	}
	for s := range strings.SplitSeq(v, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		a, err := gslbv1.ParseAddress(s)
		if err != nil {
			invalid = append(invalid, fmt.Sprintf("%s %s/%s: annotation %s: %q is not an IP address", kind, namespace, name, v1alpha1.AnnotationPublicAddresses, s))
			continue
		}
		addrs = append(addrs, a.String())
	}
	slices.Sort(addrs)
	return slices.Compact(addrs), invalid
}

// AnswerTarget is one address answered for an object, and the address its
// probes go to.
type AnswerTarget struct {
	Answer, Probe string
}

// AnswerTargets are the addresses answered for o: its load balancer's,
// each probed itself; or its public addresses, each probed at a load
// balancer address of the same family (else the first; else the public
// address itself, when the load balancer has no address).
func AnswerTargets(o *Object) []AnswerTarget {
	out := make([]AnswerTarget, 0, max(len(o.Public), len(o.Addresses)))
	if len(o.Public) == 0 {
		for _, a := range o.Addresses {
			out = append(out, AnswerTarget{a, a})
		}
		return out
	}
	for _, p := range o.Public {
		out = append(out, AnswerTarget{p, probeAddress(p, o.Addresses)})
	}
	return out
}

// probeAddress is the load balancer address that stands for public address
// p.
func probeAddress(p string, lb []string) string {
	if len(lb) == 0 {
		return p
	}
	pa, _ := netip.ParseAddr(p)
	for _, a := range lb {
		if aa, err := netip.ParseAddr(a); err == nil && aa.Is4() == pa.Is4() {
			return a
		}
	}
	return lb[0]
}

// AnsweredHostnames are the hostnames answered for o (CNAMEs): none when
// public addresses replace the load balancer's targets.
func AnsweredHostnames(o *Object) []string {
	if len(o.Public) > 0 {
		return nil
	}
	return o.Hostnames
}

// maxInvalidShown bounds the values a condition's message lists.
const maxInvalidShown = 5

// ObjectsValid is the ObjectsValid condition of a policy: False when values
// of the objects it selects were ignored, naming the first ones.
func ObjectsValid(invalid []string, gen int64) metav1.Condition {
	c := metav1.Condition{Type: v1alpha1.ConditionObjectsValid, Status: metav1.ConditionTrue, Reason: v1alpha1.ReasonValid,
		Message: "every value of the selected objects is used", ObservedGeneration: gen}
	if len(invalid) > 0 {
		c.Status, c.Reason = metav1.ConditionFalse, v1alpha1.ReasonInvalidValues
		c.Message = ignoredValues(invalid)
	}
	return c
}

// ignoredValues is the message of a condition naming the values ignored.
func ignoredValues(invalid []string) string {
	return fmt.Sprintf("%d value(s) ignored, the rest serves: %s", len(invalid), strings.Join(invalid[:min(len(invalid), maxInvalidShown)], "; "))
}

// notWatched is the message of a synced cluster that does not serve some
// optional kinds.
func notWatched(missing []string) string {
	if len(missing) == 0 {
		return ""
	}
	return "not served by the cluster (CRD not installed), not watched until they appear: " + strings.Join(missing, ", ")
}
