package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gslbdns/gslb/test/e2e/harness"

	"github.com/miekg/dns"
)

// EDNS0 through the real server: the OPT record is echoed, an answer larger
// than the client's UDP buffer is truncated (TC) and complete over TCP.
func TestEDNSAndTruncation(t *testing.T) {
	t.Parallel()
	const corefileMany = `avi.iberia.local:{{port "dns"}} {
    bind 127.0.0.1
    gslb {
        soa g-dns.iberia.local. hostmaster.iberia.local.
        answers 64
        listen unix://{{.Sock}}
    }
}
`
	c := harness.StartCoreDNS(t, corefileMany, nil)
	var b strings.Builder
	b.WriteString("records:\n  - fqdn: many.avi.iberia.local\n    members:\n")
	for i := 1; i <= 60; i++ {
		fmt.Fprintf(&b, "      - {address: \"2001:db8::%x\", weight: %d}\n", i, i)
	}
	yaml := t.TempDir() + "/members.yaml"
	harness.WriteFile(t, yaml, b.String())
	harness.StartSyncer(t, "--source", "file:"+yaml, "--push", "unix://"+c.Sock)
	c.WaitLoaded(loadTimeout)

	ask := func(proto string, bufsize uint16) *dns.Msg {
		m := harness.NewQuery("many.avi.iberia.local.", dns.TypeAAAA)
		if bufsize > 0 {
			m.SetEdns0(bufsize, false)
		}
		cl := &dns.Client{Net: proto, Timeout: 5 * time.Second, UDPSize: 65535}
		r, _, err := cl.Exchange(m, c.Addr)
		if err != nil {
			t.Fatalf("%s bufsize %d: %v", proto, bufsize, err)
		}
		return r
	}

	// 60 AAAA records (~1.7 KB): more than 512 and 1232 bytes, less than 4096.
	big := ask("udp", 4096)
	if big.Truncated || len(big.Answer) != 60 || big.IsEdns0() == nil || !big.Authoritative {
		t.Fatalf("EDNS 4096: TC %v, %d answers, OPT %v", big.Truncated, len(big.Answer), big.IsEdns0() != nil)
	}
	if got := big.IsEdns0().UDPSize(); got < 1232 {
		t.Errorf("echoed OPT advertises %d bytes", got)
	}
	for _, size := range []uint16{0, 1232} { // 0: no EDNS, 512 bytes
		r := ask("udp", size)
		if !r.Truncated || len(r.Answer) >= 60 {
			t.Errorf("UDP buffer %d: TC %v with %d answers, want TC", size, r.Truncated, len(r.Answer))
		}
		if (size > 0) != (r.IsEdns0() != nil) {
			t.Errorf("UDP buffer %d: OPT in reply %v", size, r.IsEdns0() != nil)
		}
	}
	if r := ask("tcp", 0); r.Truncated || len(r.Answer) != 60 {
		t.Errorf("TCP: TC %v, %d answers, want all 60", r.Truncated, len(r.Answer))
	}
}
