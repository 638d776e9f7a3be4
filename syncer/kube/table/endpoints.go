package table

import (
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// This file reads endpoint readiness from EndpointSlices.

// EndpointCount is how many endpoints of a Service are ready, of all.
type EndpointCount struct {
	Ready, Total int
}

// SliceServiceSelector lists only the EndpointSlices that belong to a
// Service.
const SliceServiceSelector = discoveryv1.LabelServiceName

// sliceCount is what the cache keeps of an EndpointSlice (stripSlice):
// its Service, address family and endpoint counts. A cluster's slices are
// as many as its Services and each may hold a hundred endpoints: the counts
// take a few bytes where the endpoints took about a hundred each, and the
// Service a string where the labels took a map.
type sliceCount struct {
	metav1.TypeMeta
	metav1.ObjectMeta        // namespace, name, UID and resource version only
	Service           string // "namespace/name"; "": the slice belongs to none
	Family            discoveryv1.AddressType
	Count             EndpointCount
}

// DeepCopyObject makes a sliceCount a runtime.Object, as the informer's
// cache requires.
func (s *sliceCount) DeepCopyObject() runtime.Object {
	out := *s
	s.ObjectMeta.DeepCopyInto(&out.ObjectMeta)
	return &out
}

// StripSlice is the informer's transform of EndpointSlices: their
// sliceCount; other objects as they are.
func StripSlice(obj any) (any, error) {
	if c, ok := countOf(obj); ok {
		return c, nil
	}
	return obj, nil
}

// countOf returns the sliceCount of an EndpointSlice (itself when
// stripped already), and false for another object.
func countOf(obj any) (*sliceCount, bool) {
	switch s := obj.(type) {
	case *sliceCount:
		return s, true
	case *discoveryv1.EndpointSlice:
		out := &sliceCount{ObjectMeta: metav1.ObjectMeta{Namespace: s.Namespace, Name: s.Name, UID: s.UID, ResourceVersion: s.ResourceVersion},
			Family: s.AddressType}
		if svc := s.Labels[discoveryv1.LabelServiceName]; svc != "" {
			out.Service = s.Namespace + "/" + svc
		}
		for _, e := range s.Endpoints {
			out.Count.Total++
			if e.Conditions.Ready == nil || *e.Conditions.Ready { // unset is ready, as the API defines it
				out.Count.Ready++
			}
		}
		return out, true
	}
	return nil, false
}

// SliceService returns the "namespace/name" of the Service an EndpointSlice
// (or its sliceCount) belongs to, and false when it belongs to none.
func SliceService(obj any) (string, bool) {
	c, ok := countOf(obj)
	if !ok || c.Service == "" {
		return "", false
	}
	return c.Service, true
}

// CountEndpoints sums the endpoints of every Service over its slices
// (EndpointSlices or their sliceCounts; other objects are ignored), by
// "namespace/name". An endpoint is ready when its ready condition is true or
// unset (as the API defines it). A dual-stack Service has one slice per
// address family for the same Pods: the family with the most endpoints
// counts.
func CountEndpoints[S any](slices []S) map[string]EndpointCount {
	type key struct {
		svc string
		fam discoveryv1.AddressType
	}
	perFamily := map[key]EndpointCount{}
	for _, o := range slices {
		s, ok := countOf(o)
		if !ok || s.Service == "" {
			continue
		}
		k := key{s.Service, s.Family}
		c := perFamily[k]
		c.Ready += s.Count.Ready
		c.Total += s.Count.Total
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
