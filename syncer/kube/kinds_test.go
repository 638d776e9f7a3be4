package kube

import (
	"slices"
	"strings"
	"testing"
)

func TestParseOptionalKinds(t *testing.T) {
	for _, tc := range []struct {
		in, err string
		listed  []string
		noted   bool
		watched string // the kinds filter keeps
	}{
		{in: "", watched: "Gateway,HTTPRoute,GRPCRoute,TLSRoute,TCPRoute,UDPRoute,Route"},
		{in: "auto", watched: "Gateway,HTTPRoute,GRPCRoute,TLSRoute,TCPRoute,UDPRoute,Route"},
		{in: "all", noted: true, watched: "Gateway,HTTPRoute,GRPCRoute,TLSRoute,TCPRoute,UDPRoute,Route"},
		{in: "httproute, Gateway,HTTPRoute", listed: []string{"Gateway", "HTTPRoute"}, noted: true, watched: "Gateway,HTTPRoute"},
		{in: "Route", listed: []string{"Route"}, noted: true, watched: "Route"},
		{in: "Gateway,Ingress", err: `option kinds: "Ingress" is not an optional kind (want auto, all, or some of GRPCRoute, Gateway, HTTPRoute, Route, TCPRoute, TLSRoute, UDPRoute)`},
		{in: "Gateway,", err: `option kinds: "" is not an optional kind`},
	} {
		k, err := ParseOptionalKinds(tc.in)
		if tc.err != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
				t.Errorf("ParseOptionalKinds(%q) = %+v, %v; want error %q", tc.in, k, err, tc.err)
			}
			continue
		}
		var watched []string
		for _, o := range k.filter(optionalKinds()) {
			watched = append(watched, o.kind)
		}
		if err != nil || !slices.Equal(k.Listed, tc.listed) || k.Noted != tc.noted || strings.Join(watched, ",") != tc.watched {
			t.Errorf("ParseOptionalKinds(%q) = %+v (watched %v), %v; want %v noted %v watched %s", tc.in, k, watched, err, tc.listed, tc.noted, tc.watched)
		}
	}
	o, err := ParseSpec("/kc?kinds=Route&router-namespace=routers")
	if err != nil || !slices.Equal(o.Kinds.Listed, []string{"Route"}) || o.RouterNamespace != "routers" {
		t.Errorf("ParseSpec kinds, router-namespace: %+v, %v", o, err)
	}
	if o, err := ParseSpec("/kc"); err != nil || o.Kinds.Noted || o.Kinds.Listed != nil || o.RouterNamespace != DefaultRouterNamespace {
		t.Errorf("ParseSpec defaults: kinds %+v, router namespace %q, %v", o.Kinds, o.RouterNamespace, err)
	}
}
