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
	// gslbmetrics sees every query of the block: it comes right after the
	// stock prometheus plugin, before errors, log, acl and cache.
	m := at("gslbmetrics")
	if m != at("prometheus")+1 {
		t.Errorf("gslbmetrics at %d, prometheus at %d", m, at("prometheus"))
	}
	for _, after := range []string{"errors", "log", "acl", "cache", "gslb"} {
		if at(after) < m {
			t.Errorf("%s runs before gslbmetrics", after)
		}
	}
	for _, d := range []string{"gslb", "gslbmetrics"} {
		if n := len(slices.DeleteFunc(slices.Clone(got), func(x string) bool { return x != d })); n != 1 {
			t.Errorf("%s appears %d times", d, n)
		}
	}
	// Only registered plugins are kept.
	if d := directives([]string{"log", "minimal", "route53"}, func(d string) bool { return d != "route53" }); !slices.Equal(d, []string{"log", "minimal", "gslb"}) {
		t.Errorf("filtered directives %v", d)
	}
}
