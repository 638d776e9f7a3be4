package main

import (
	"slices"
	"testing"

	"github.com/coredns/coredns/core/dnsserver"
)

// gslb runs after the plugins that wrap the response writer (dnssec must
// sign our answers) and before those that answer names themselves.
func TestDirectiveOrder(t *testing.T) {
	got := directives(dnsserver.Directives, func(string) bool { return true })
	at := func(d string) int {
		i := slices.Index(got, d)
		if i < 0 {
			t.Fatalf("%s is missing from %v", d, got)
		}
		return i
	}
	g := at("gslb")
	for _, before := range []string{"cache", "header", "dnssec", "minimal", "prometheus", "log", "errors", "acl"} {
		if at(before) > g {
			t.Errorf("%s runs after gslb", before)
		}
	}
	for _, after := range []string{"template", "hosts", "file", "auto", "secondary", "forward", "whoami"} {
		if at(after) < g {
			t.Errorf("%s runs before gslb", after)
		}
	}
	if n := len(slices.DeleteFunc(slices.Clone(got), func(d string) bool { return d != "gslb" })); n != 1 {
		t.Errorf("gslb appears %d times", n)
	}
	// Only registered plugins are kept.
	if d := directives([]string{"log", "minimal", "route53"}, func(d string) bool { return d != "route53" }); !slices.Equal(d, []string{"log", "minimal", "gslb"}) {
		t.Errorf("filtered directives %v", d)
	}
}
