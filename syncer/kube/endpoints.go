package kube

import (
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// This file reads endpoint readiness from EndpointSlices.

// EndpointCount is how many endpoints of a Service are ready, of all.
type EndpointCount struct {
	Ready, Total int
}

// sliceServiceSelector lists only the EndpointSlices that belong to a
// Service.
const sliceServiceSelector = discoveryv1.LabelServiceName

// stripSlice keeps of an EndpointSlice what readiness needs: its Service,
// address type and each endpoint's ready condition. A cluster's slices are
// as many as its Services, and each may hold a hundred endpoints.
func stripSlice(obj any) (any, error) {
	s, ok := obj.(*discoveryv1.EndpointSlice)
	if !ok {
		return obj, nil
	}
	out := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: s.Namespace, Name: s.Name, UID: s.UID, ResourceVersion: s.ResourceVersion,
			Labels: map[string]string{discoveryv1.LabelServiceName: s.Labels[discoveryv1.LabelServiceName]},
		},
		AddressType: s.AddressType,
		Endpoints:   make([]discoveryv1.Endpoint, len(s.Endpoints)),
	}
	for i, e := range s.Endpoints {
		out.Endpoints[i].Conditions.Ready = e.Conditions.Ready
	}
	return out, nil
}

// SliceService returns the "namespace/name" of the Service an EndpointSlice
// belongs to, and false when it belongs to none.
func SliceService(obj any) (string, bool) {
	s, ok := obj.(*discoveryv1.EndpointSlice)
	if !ok {
		return "", false
	}
	svc := s.Labels[discoveryv1.LabelServiceName]
	if svc == "" {
		return "", false
	}
	return s.Namespace + "/" + svc, true
}

// CountEndpoints sums the endpoints of every Service over its slices, by
// "namespace/name". An endpoint is ready when its ready condition is true or
// unset (as the API defines it). A dual-stack Service has one slice per
// address family for the same Pods: the family with the most endpoints
// counts.
func CountEndpoints(slices []*discoveryv1.EndpointSlice) map[string]EndpointCount {
	type key struct {
		svc string
		fam discoveryv1.AddressType
	}
	perFamily := map[key]EndpointCount{}
	for _, s := range slices {
		svc, ok := SliceService(s)
		if !ok {
			continue
		}
		k := key{svc, s.AddressType}
		c := perFamily[k]
		for _, e := range s.Endpoints {
			c.Total++
			if e.Conditions.Ready == nil || *e.Conditions.Ready {
				c.Ready++
			}
		}
		perFamily[k] = c
	}
	out := make(map[string]EndpointCount, len(perFamily))
	for k, c := range perFamily {
		if o, ok := out[k.svc]; !ok || c.Total > o.Total || (c.Total == o.Total && c.Ready > o.Ready) {
			out[k.svc] = c
		}
	}
	return out
}
