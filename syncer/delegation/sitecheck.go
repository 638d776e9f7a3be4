package delegation

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/miekg/dns"
)

// SiteCheck asks the site's name server addresses (the parent's glue) for
// the zone's SOA: the site's DNS serves when one of them answers it
// authoritatively from a loaded table.
type SiteCheck struct {
	Zone    string        // canonical
	Addrs   []netip.Addr  // the site's NS addresses
	Port    int           // 0 means 53
	Timeout time.Duration // of one query; 0 means DefaultSiteDNSTimeout
}

// DefaultSiteDNSTimeout is how long the site check waits for one address.
const DefaultSiteDNSTimeout = 2 * time.Second

// Serves reports whether one of the addresses answers; otherwise the error
// says what each answered (for the status, never logged per check).
func (c *SiteCheck) Serves(ctx context.Context) (bool, error) {
	if len(c.Addrs) == 0 {
		return false, fmt.Errorf("no nameServer.addresses to ask")
	}
	errs := make(chan error, len(c.Addrs))
	for _, a := range c.Addrs {
		go func() { errs <- c.ask(ctx, a) }()
	}
	var first error
	for range c.Addrs {
		err := <-errs
		if err == nil {
			return true, nil
		}
		if first == nil {
			first = err
		}
	}
	return false, first
}

// ask queries one address over UDP and checks the answer.
func (c *SiteCheck) ask(ctx context.Context, a netip.Addr) error {
	timeout := c.Timeout
	if timeout == 0 {
		timeout = DefaultSiteDNSTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	port := c.Port
	if port == 0 {
		port = 53
	}
	addr := net.JoinHostPort(a.String(), strconv.Itoa(port))
	m := new(dns.Msg)
	m.SetQuestion(c.Zone, dns.TypeSOA)
	m.RecursionDesired = false
	resp, _, err := (&dns.Client{Timeout: timeout}).ExchangeContext(ctx, m, addr)
	if err != nil {
		return fmt.Errorf("%s: %w", addr, err)
	}
	if err := servesSOA(resp, c.Zone); err != nil {
		return fmt.Errorf("%s: %w", addr, err)
	}
	return nil
}

// servesSOA checks an answer to "zone SOA": authoritative, NOERROR, the
// zone's SOA with a serial other than 0. coredns-gslb answers the apex SOA
// from its Corefile before its first table, with serial 0: that is a name
// server without a table, not ready.
func servesSOA(resp *dns.Msg, zone string) error {
	switch {
	case resp.Rcode != dns.RcodeSuccess:
		return fmt.Errorf("answered %s", dns.RcodeToString[resp.Rcode])
	case !resp.Authoritative:
		return fmt.Errorf("answered without AA: not authoritative for %s", zone)
	}
	for _, rr := range resp.Answer {
		soa, ok := rr.(*dns.SOA)
		if !ok || dns.CanonicalName(soa.Hdr.Name) != zone {
			continue
		}
		if soa.Serial == 0 {
			return fmt.Errorf("SOA serial 0: no table loaded")
		}
		return nil
	}
	return fmt.Errorf("no SOA of %s in the answer", zone)
}
