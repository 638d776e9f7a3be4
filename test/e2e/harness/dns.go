package harness

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// QueryTimeout bounds one DNS exchange. Loopback does not lose packets, so
// an exchange is never retried (a retry could make the server pick twice):
// the timeout is only there to turn a hung server into an error.
const QueryTimeout = 5 * time.Second

// NewQuery builds a query as a stub resolver would send it to an
// authoritative server: one question, no recursion desired.
func NewQuery(name string, qtype uint16) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.RecursionDesired = false
	return m
}

// Exchange sends one query over proto ("udp" or "tcp") on a new connection.
func Exchange(addr, proto, name string, qtype uint16) (*dns.Msg, error) {
	c := &dns.Client{Net: proto, Timeout: QueryTimeout}
	r, _, err := c.Exchange(NewQuery(name, qtype), addr)
	if err != nil {
		return nil, fmt.Errorf("%s %s over %s to %s: %w", name, dns.TypeToString[qtype], proto, addr, err)
	}
	return r, nil
}

// Query is Exchange that fails the test on error.
func Query(t testing.TB, addr, proto, name string, qtype uint16) *dns.Msg {
	t.Helper()
	r, err := Exchange(addr, proto, name, qtype)
	if err != nil {
		t.Fatalf("harness: %v", err)
	}
	return r
}

// Client sends many queries over one connection (one UDP socket, or one TCP
// connection carrying query after query), which keeps a long run of queries
// cheap and strictly sequential. It is not safe for concurrent use.
type Client struct {
	Addr, Proto string
	c           *dns.Client
	conn        *dns.Conn
	lastUse     time.Time
	netns       *NetNS // dial inside it, when set

	// Recursive sets RD in the queries, as a stub asking a recursive
	// resolver (BIND) does.
	Recursive bool
}

// idleRedial is how long a connection may sit unused before the next query
// opens a new one: CoreDNS closes idle TCP connections after 10 s.
const idleRedial = 3 * time.Second

// Dial returns a Client for addr over proto; t.Cleanup closes it.
func Dial(t testing.TB, addr, proto string) *Client {
	t.Helper()
	c := &Client{Addr: addr, Proto: proto, c: &dns.Client{Net: proto, Timeout: QueryTimeout}}
	t.Cleanup(c.Close)
	return c
}

// Exchange sends one query and reads its answer.
func (c *Client) Exchange(name string, qtype uint16) (*dns.Msg, error) {
	if c.conn != nil && time.Since(c.lastUse) > idleRedial {
		c.Close()
	}
	if c.conn == nil {
		var conn *dns.Conn
		var err error
		if c.netns != nil {
			c.netns.Do(func() { conn, err = c.c.Dial(c.Addr) })
		} else {
			conn, err = c.c.Dial(c.Addr)
		}
		if err != nil {
			return nil, fmt.Errorf("dial %s %s: %w", c.Proto, c.Addr, err)
		}
		c.conn = conn
	}
	q := NewQuery(name, qtype)
	q.RecursionDesired = c.Recursive
	r, _, err := c.c.ExchangeWithConn(q, c.conn)
	c.lastUse = time.Now()
	if err != nil {
		// The connection's state is unknown now: start afresh next time.
		c.Close()
		return nil, fmt.Errorf("%s %s over %s to %s: %w", name, dns.TypeToString[qtype], c.Proto, c.Addr, err)
	}
	return r, nil
}

// Query is Exchange that fails the test on error.
func (c *Client) Query(t testing.TB, name string, qtype uint16) *dns.Msg {
	t.Helper()
	r, err := c.Exchange(name, qtype)
	if err != nil {
		t.Fatalf("harness: %v", err)
	}
	return r
}

// Close closes the connection; the next query opens a new one.
func (c *Client) Close() {
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}

// OneA checks that r is an authoritative NOERROR answer holding exactly one
// A record and nothing else in the answer section, and returns its address
// and TTL.
func OneA(r *dns.Msg) (net.IP, uint32, error) {
	if r.Rcode != dns.RcodeSuccess {
		return nil, 0, fmt.Errorf("rcode %s, want NOERROR: %s", dns.RcodeToString[r.Rcode], Brief(r))
	}
	if !r.Authoritative {
		return nil, 0, fmt.Errorf("AA flag not set: %s", Brief(r))
	}
	if len(r.Answer) != 1 {
		return nil, 0, fmt.Errorf("%d answer records, want exactly 1: %s", len(r.Answer), Brief(r))
	}
	a, ok := r.Answer[0].(*dns.A)
	if !ok {
		return nil, 0, fmt.Errorf("answer is %s, want an A record: %s", dns.TypeToString[r.Answer[0].Header().Rrtype], Brief(r))
	}
	return a.A, a.Hdr.Ttl, nil
}

// Brief renders a response on one line: rcode, flags, and the sections.
func Brief(r *dns.Msg) string {
	if r == nil {
		return "<nil>"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s", dns.RcodeToString[r.Rcode])
	if r.Authoritative {
		b.WriteString(" aa")
	}
	if r.Truncated {
		b.WriteString(" tc")
	}
	section := func(name string, rrs []dns.RR) {
		if len(rrs) == 0 {
			return
		}
		fmt.Fprintf(&b, " %s[", name)
		for i, rr := range rrs {
			if i > 0 {
				b.WriteString(" | ")
			}
			b.WriteString(strings.Join(strings.Fields(rr.String()), " "))
		}
		b.WriteString("]")
	}
	section("an", r.Answer)
	section("ns", r.Ns)
	section("ad", r.Extra)
	return b.String()
}
