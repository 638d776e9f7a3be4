package harness

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gslbdns/gslb/test/internal/testhost"
	"github.com/miekg/dns"
)

func TestWithinStopsOnPermanent(t *testing.T) {
	start := time.Now()
	n := 0
	err := Within(time.Minute, func() error {
		n++
		if n < 3 {
			return errors.New("not yet")
		}
		return Permanent(errors.New("gave up"))
	})
	if err == nil || err.Error() != "gave up" || n != 3 || time.Since(start) > 10*time.Second {
		t.Fatalf("Within: %v after %d tries in %v", err, n, time.Since(start))
	}
	if err := Within(50*time.Millisecond, func() error { return errors.New("never") }); err == nil ||
		!strings.Contains(err.Error(), "never") {
		t.Fatalf("Within timeout: %v", err)
	}
}

// A port taken between the check and the bind: StartCoreDNS retries with
// new ports, and the failed run is not reported as an unexpected exit.
func TestStartCoreDNSRetriesBusyPort(t *testing.T) {
	busy := FreePort(t)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(busy))
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	u, err := net.ListenPacket("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()

	first := true
	pickPort = func() (int, error) {
		if first {
			first = false
			return busy, nil
		}
		return testhost.FreePort()
	}
	defer func() { pickPort = testhost.FreePort }()

	c := StartCoreDNS(t, `example.org:{{port "dns"}} {
    bind 127.0.0.1
    whoami
}
`, nil)
	if c.Port("dns") == busy {
		t.Fatalf("still on the busy port %d", busy)
	}
	r := Query(t, c.Addr, "tcp", "example.org.", dns.TypeA)
	if r.Rcode != dns.RcodeSuccess {
		t.Fatalf("whoami: %s", Brief(r))
	}
	if code := c.Stop(); code != 0 {
		t.Errorf("exit status %d on SIGTERM", code)
	}
}
