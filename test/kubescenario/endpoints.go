package kubescenario

import (
	"context"
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
)

// The test clusters run no kube-controller-manager, so nothing turns pods
// into EndpointSlices: the scenario writes them, one per Service, as the
// endpoint controller would.
const (
	// ReadyEndpoints is how many ready endpoints Service and Ingress give
	// the Services they create or point at.
	ReadyEndpoints = 3
	// EndpointSliceManager is the endpointslice.kubernetes.io/managed-by
	// label of the scenario's slices.
	EndpointSliceManager = "gslb-test"
	// maxEndpoints: the addresses are 192.0.2.1 to 192.0.2.254 (TEST-NET-1).
	maxEndpoints = 254
)

// EndpointSliceName is the name of the EndpointSlice the scenario writes for
// service: "<service>-gslb".
func EndpointSliceName(service string) string { return service + "-gslb" }

// EndpointSlice creates, or updates, the EndpointSlice "<service>-gslb" of
// the Service service in namespace ns: labelled kubernetes.io/service-name
// service and endpointslice.kubernetes.io/managed-by gslb-test, addressType
// IPv4, port http 80/TCP, with ready endpoints whose conditions.ready is
// true, then notReady endpoints whose conditions.ready is false (addresses
// 192.0.2.1, .2, ... in that order; at most 254 in all). The Service need
// not exist.
func EndpointSlice(ctx context.Context, cs kubernetes.Interface, ns, service string, ready, notReady int) error {
	want, err := newEndpointSlice(ns, service, ready, notReady)
	if err != nil {
		return err
	}
	_, err = cs.DiscoveryV1().EndpointSlices(ns).Create(ctx, want, metav1.CreateOptions{})
	if !apierrors.IsAlreadyExists(err) {
		return err
	}
	return updateEndpointSlice(ctx, cs, want)
}

// SetReady changes the endpoints of the EndpointSlice that EndpointSlice
// (or Service, or Ingress) wrote for service: ready ones, then notReady ones.
// It fails (NotFound) when there is no such slice.
func SetReady(ctx context.Context, cs kubernetes.Interface, ns, service string, ready, notReady int) error {
	want, err := newEndpointSlice(ns, service, ready, notReady)
	if err != nil {
		return err
	}
	return updateEndpointSlice(ctx, cs, want)
}

// DeleteEndpointSlice deletes the EndpointSlice of service, as when its
// Service has no selector or no pods were ever scheduled. An absent slice
// is no error.
func DeleteEndpointSlice(ctx context.Context, cs kubernetes.Interface, ns, service string) error {
	err := cs.DiscoveryV1().EndpointSlices(ns).Delete(ctx, EndpointSliceName(service), metav1.DeleteOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

func newEndpointSlice(ns, service string, ready, notReady int) (*discoveryv1.EndpointSlice, error) {
	if ready < 0 || notReady < 0 || ready+notReady > maxEndpoints {
		return nil, fmt.Errorf("endpoints of %s/%s: %d ready and %d not ready: want 0 to %d in all", ns, service, ready, notReady, maxEndpoints)
	}
	es := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: EndpointSliceName(service), Labels: map[string]string{
			discoveryv1.LabelServiceName: service,
			discoveryv1.LabelManagedBy:   EndpointSliceManager,
		}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   []discoveryv1.Endpoint{},
		Ports:       []discoveryv1.EndpointPort{{Name: new("http"), Port: new(int32(80)), Protocol: new(corev1.ProtocolTCP)}},
	}
	for i := range ready + notReady {
		up := i < ready
		es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{fmt.Sprintf("192.0.2.%d", i+1)},
			Conditions: discoveryv1.EndpointConditions{Ready: new(up), Serving: new(up), Terminating: new(false)},
		})
	}
	return es, nil
}

// updateEndpointSlice replaces the endpoints and ports of the existing slice
// want.Name, and adds want's labels.
func updateEndpointSlice(ctx context.Context, cs kubernetes.Interface, want *discoveryv1.EndpointSlice) error {
	c := cs.DiscoveryV1().EndpointSlices(want.Namespace)
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := c.Get(ctx, want.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if cur.AddressType != want.AddressType {
			return fmt.Errorf("EndpointSlice %s/%s has addressType %s, not %s", cur.Namespace, cur.Name, cur.AddressType, want.AddressType)
		}
		if cur.Labels == nil {
			cur.Labels = map[string]string{}
		}
		maps.Copy(cur.Labels, want.Labels)
		cur.Endpoints, cur.Ports = want.Endpoints, want.Ports
		_, err = c.Update(ctx, cur, metav1.UpdateOptions{})
		return err
	})
}
