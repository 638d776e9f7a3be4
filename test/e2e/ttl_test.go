package e2e

import (
	"testing"

	"github.com/gslbdns/gslb/test/e2e/harness"

	"github.com/miekg/dns"
)

// `ttl: 0` in the members file is answered with TTL 0 by the real binaries
// (an operator defeating caching gets no caching), a record without ttl
// with the Corefile's (30), hello with its own (2).
func TestTTLZeroServed(t *testing.T) {
	t.Parallel()
	st := startStackYAML(t, membersYAML(w642)+`  - fqdn: zero.avi.iberia.local
    ttl: 0
    members:
      - {address: 192.0.2.30}
  - fqdn: unset.avi.iberia.local
    members:
      - {address: 192.0.2.31}
`)
	c := harness.Dial(t, st.c.Addr, "udp")
	for _, tc := range []struct {
		name string
		ttl  uint32
	}{{"zero.avi.iberia.local.", 0}, {"unset.avi.iberia.local.", 30}, {hello, helloTTL}} {
		r, err := c.Exchange(tc.name, dns.TypeA)
		if err != nil {
			t.Fatal(err)
		}
		if _, ttl, err := harness.OneA(r); err != nil || ttl != tc.ttl {
			t.Errorf("%s: TTL %d (%v), want %d", tc.name, ttl, err, tc.ttl)
		}
	}
}
