package harness

import (
	"testing"

	"github.com/gslbdns/gslb/test/internal/testhost"
)

// pickPort is testhost.FreePort; the harness's own tests replace it.
var pickPort = testhost.FreePort

// FreePort returns a port that is free on 127.0.0.1 for both UDP and TCP at
// the time of the call, below the ephemeral range and never handed out twice
// in this test binary (test/k8senv draws from the same record: see
// test/internal/testhost). Between the check and the server's bind another
// process can still take it; StartCoreDNS retries with new ports when that
// happens.
func FreePort(t testing.TB) int {
	t.Helper()
	p, err := testhost.FreePort()
	if err != nil {
		t.Fatalf("harness: %v", err)
	}
	return p
}
