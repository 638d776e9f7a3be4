package main

import (
	"regexp"
	"strings"
	"testing"
)

// Every shipped Corefile moves to loopback: nothing of the deployment's
// addresses and paths is left, one bind, every HTTP port on 127.0.0.1.
func TestShippedToLoopback(t *testing.T) {
	next := 20000
	port := func() (int, error) { next++; return next, nil }
	for _, sc := range shippedCorefiles() {
		t.Run(sc.name, func(t *testing.T) {
			in, err := sc.read("../../..")
			if err != nil {
				t.Fatal(err)
			}
			out, err := toLoopback(in, "/tmp/bench-dir", 5353, port)
			if err != nil {
				t.Fatal(err)
			}
			for _, gone := range []string{":53 ", ":1053 ", " :8080", " :8181", " :9153", "/run/gslb", "/var/lib/gslb", "{$"} {
				if strings.Contains(out, gone) {
					t.Errorf("%q left in:\n%s", gone, out)
				}
			}
			for _, want := range []string{"avi.iberia.local:5353 {", "listen unix:///tmp/bench-dir/gslb.sock", "gslbmetrics 127.0.0.1:"} {
				if !strings.Contains(out, want) {
					t.Errorf("%q missing in:\n%s", want, out)
				}
			}
			if n := len(regexp.MustCompile(`(?m)^\s*bind 127\.0\.0\.1$`).FindAllString(out, -1)); n != 1 {
				t.Errorf("%d bind lines in:\n%s", n, out)
			}
		})
	}
}
