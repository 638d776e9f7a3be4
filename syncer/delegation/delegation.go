// Package delegation keeps one site's name server in the parent zone of the
// GSLB zone: its NS record for the zone and its address records (the glue),
// by RFC 2136 dynamic update signed with TSIG (HMAC-SHA256). Each site owns
// only its own NS record; a withdrawal never removes the last NS of the zone.
// Every change is read back from the parent.
//
// A Keeper drives a Parent (a Registrar, or a DNSEndpoint object for
// ExternalDNS) from a readiness signal; a Runner is what gslb-syncer runs
// from a delegation file (LoadFile).
package delegation

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Config is one site's delegation.
type Config struct {
	Server     string       // the parent zone's primary, host:port
	ParentZone string       // the zone the update goes to, e.g. iberia.local.
	Zone       string       // the GSLB zone delegated, e.g. avi.iberia.local.
	NS         string       // this site's name server, e.g. g-dns-a.iberia.local.
	Addrs      []netip.Addr // its addresses, published as its A/AAAA records
	TTL        uint32       // of the records written; 0 means 300
	Key        Key
	// Unsigned sends updates without TSIG (Key empty), for a parent that
	// takes unsigned updates from allowed addresses: Windows DNS with
	// nonsecure dynamic updates, or BIND's allow-update { ADDRESS; }.
	Unsigned bool
	Timeout  time.Duration // of one exchange; 0 means 5 s
	// Dial opens the TCP connection to Server; nil means a net.Dialer.
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
}

// Key is a TSIG key the parent accepts updates with.
type Key struct {
	Name      string // e.g. gslb-site-a.
	Secret    string // base64, as in BIND's key statement
	Algorithm string // dns.HmacSHA256 (the default, "" too), dns.HmacSHA384 or dns.HmacSHA512
}

// checkAlgorithm puts the algorithm in canonical form, hmac-sha256 if
// none, and checks it is one of algorithms.
func (k *Key) checkAlgorithm() []error {
	if k.Algorithm = dns.CanonicalName(k.Algorithm); k.Algorithm == "." {
		k.Algorithm = dns.HmacSHA256
	}
	if !slices.Contains(algorithms, k.Algorithm) {
		return []error{fmt.Errorf("key algorithm %s: want hmac-sha256, hmac-sha384 or hmac-sha512", strings.TrimSuffix(k.Algorithm, "."))}
	}
	return nil
}

// algorithms are the TSIG algorithms a Key may name.
var algorithms = []string{dns.HmacSHA256, dns.HmacSHA384, dns.HmacSHA512}

// Validate checks a Config and puts its names in canonical form.
func (c *Config) Validate() error {
	var errs []error
	need := func(field, v string) {
		if v == "" {
			errs = append(errs, fmt.Errorf("%s is empty", field))
		}
	}
	need("server", c.Server)
	need("parent zone", c.ParentZone)
	need("zone", c.Zone)
	need("ns", c.NS)
	if c.Unsigned && (c.Key.Name != "" || c.Key.Secret != "") {
		errs = append(errs, errors.New("unsigned updates with a TSIG key: choose one"))
	}
	if !c.Unsigned {
		need("key name", c.Key.Name)
		need("key secret", c.Key.Secret)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	c.ParentZone, c.Zone = dns.CanonicalName(c.ParentZone), dns.CanonicalName(c.Zone)
	c.NS = dns.CanonicalName(c.NS)
	if !c.Unsigned {
		c.Key.Name = dns.CanonicalName(c.Key.Name)
		errs = append(errs, c.Key.checkAlgorithm()...)
	}
	if !dns.IsSubDomain(c.ParentZone, c.Zone) || c.Zone == c.ParentZone {
		errs = append(errs, fmt.Errorf("zone %s is not below parent zone %s", c.Zone, c.ParentZone))
	}
	inParent := dns.IsSubDomain(c.ParentZone, c.NS)
	if len(c.Addrs) == 0 && inParent {
		errs = append(errs, fmt.Errorf("ns %s is inside the parent zone: it needs its addresses (glue)", c.NS))
	}
	if len(c.Addrs) > 0 && !inParent {
		errs = append(errs, fmt.Errorf("ns %s is outside the parent zone %s: its addresses are not the parent's to publish", c.NS, c.ParentZone))
	}
	if c.TTL == 0 {
		c.TTL = 300
	}
	if c.Timeout == 0 {
		c.Timeout = 5 * time.Second
	}
	if c.Dial == nil {
		c.Dial = (&net.Dialer{}).DialContext
	}
	return errors.Join(errs...)
}

// ErrLastNS is returned by Withdraw when this site's NS is the only one the
// zone has in the parent: removing it would take the zone off the tree.
var ErrLastNS = errors.New("this site's NS is the zone's last one in the parent: not withdrawn")

// ErrReadBack marks an update the parent accepted but does not show.
var ErrReadBack = errors.New("the update is not what the parent holds")

// Parent is where a Keeper keeps the delegation: a Registrar (the parent
// server, by RFC 2136) or an Endpoints (a DNSEndpoint object for ExternalDNS).
// Register and Withdraw report whether they changed anything; Withdraw
// returns ErrLastNS rather than remove the zone's last NS.
type Parent interface {
	Register(ctx context.Context) (bool, error)
	Withdraw(ctx context.Context) (bool, error)
}

// Registrar registers and withdraws one site's NS and glue.
type Registrar struct {
	cfg Config
}

// NewRegistrar checks cfg and returns a Registrar.
func NewRegistrar(cfg Config) (*Registrar, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("delegation: %w", err)
	}
	return &Registrar{cfg: cfg}, nil
}

// Register makes the parent hold this site's NS record for the zone and
// exactly its addresses as the NS name's A/AAAA records. It reports whether
// it changed anything: nothing is sent when the parent already agrees.
func (r *Registrar) Register(ctx context.Context) (bool, error) {
	st, err := r.Read(ctx)
	if err != nil {
		return false, err
	}
	if st.registered(r.cfg) {
		return false, nil
	}
	m := r.update()
	m.Insert([]dns.RR{r.nsRR()})
	if r.ownsGlue() {
		m.RemoveRRset(r.glueTypes())
		m.Insert(r.glue())
	}
	if err := r.send(ctx, m); err != nil {
		return false, err
	}
	return true, r.readBack(ctx, "register", func(s State) bool { return s.registered(r.cfg) })
}

// Withdraw removes this site's NS record and its addresses from the parent,
// unless it is the zone's last NS (ErrLastNS). The update carries the NS set
// it read as a prerequisite, so a concurrent withdrawal by another site makes
// it fail (YXRRSET/NXRRSET) instead of leaving the zone without NS.
func (r *Registrar) Withdraw(ctx context.Context) (bool, error) {
	st, err := r.Read(ctx)
	if err != nil {
		return false, err
	}
	if !slices.Contains(st.NS, r.cfg.NS) && len(st.Addrs) == 0 {
		return false, nil
	}
	if slices.Contains(st.NS, r.cfg.NS) && len(st.NS) == 1 {
		return false, ErrLastNS
	}
	m := r.update()
	if len(st.NS) > 0 {
		m.Used(r.nsSet(st.NS)) // RRset exists, value dependent (RFC 2136 2.4.2)
	}
	m.Remove([]dns.RR{r.nsRR()})
	if r.ownsGlue() {
		m.RemoveRRset(r.glueTypes())
	}
	if err := r.send(ctx, m); err != nil {
		return false, err
	}
	return true, r.readBack(ctx, "withdraw", func(s State) bool {
		return !slices.Contains(s.NS, r.cfg.NS) && len(s.Addrs) == 0
	})
}

// update starts an UPDATE message for the parent zone.
func (r *Registrar) update() *dns.Msg {
	m := new(dns.Msg)
	m.SetUpdate(r.cfg.ParentZone)
	return m
}

func (r *Registrar) nsRR() dns.RR {
	return &dns.NS{Hdr: r.hdr(r.cfg.Zone, dns.TypeNS), Ns: r.cfg.NS}
}

func (r *Registrar) nsSet(names []string) []dns.RR {
	out := make([]dns.RR, len(names))
	for i, n := range names {
		out[i] = &dns.NS{Hdr: r.hdr(r.cfg.Zone, dns.TypeNS), Ns: n}
	}
	return out
}

// ownsGlue reports whether the NS name is inside the parent zone, so that
// its addresses are the parent's records (and ours to write).
func (r *Registrar) ownsGlue() bool { return dns.IsSubDomain(r.cfg.ParentZone, r.cfg.NS) }

// glueTypes are the A and AAAA RRsets of the NS name, to delete whole.
func (r *Registrar) glueTypes() []dns.RR {
	return []dns.RR{
		&dns.A{Hdr: r.hdr(r.cfg.NS, dns.TypeA)},
		&dns.AAAA{Hdr: r.hdr(r.cfg.NS, dns.TypeAAAA)},
	}
}

func (r *Registrar) glue() []dns.RR {
	var out []dns.RR
	for _, a := range r.cfg.Addrs {
		if a.Is4() {
			out = append(out, &dns.A{Hdr: r.hdr(r.cfg.NS, dns.TypeA), A: a.AsSlice()})
		} else {
			out = append(out, &dns.AAAA{Hdr: r.hdr(r.cfg.NS, dns.TypeAAAA), AAAA: a.AsSlice()})
		}
	}
	return out
}

func (r *Registrar) hdr(name string, t uint16) dns.RR_Header {
	return dns.RR_Header{Name: name, Rrtype: t, Class: dns.ClassINET, Ttl: r.cfg.TTL}
}

// readBack reads the parent after an accepted update and checks want.
func (r *Registrar) readBack(ctx context.Context, what string, want func(State) bool) error {
	st, err := r.Read(ctx)
	if err != nil {
		return fmt.Errorf("delegation: %s accepted by %s, but reading it back failed: %w", what, r.cfg.Server, err)
	}
	if !want(st) {
		return fmt.Errorf("delegation: %s accepted by %s, but the parent shows %s: %w", what, r.cfg.Server, st, ErrReadBack)
	}
	return nil
}

// send signs m with the TSIG key (unless Unsigned) and sends it.
func (r *Registrar) send(ctx context.Context, m *dns.Msg) error {
	var secrets map[string]string
	if !r.cfg.Unsigned {
		m.SetTsig(r.cfg.Key.Name, r.cfg.Key.Algorithm, 300, time.Now().Unix())
		secrets = map[string]string{r.cfg.Key.Name: r.cfg.Key.Secret}
	}
	resp, err := r.exchange(ctx, m, secrets)
	if resp != nil && resp.Rcode != dns.RcodeSuccess {
		return &UpdateError{Server: r.cfg.Server, Zone: r.cfg.ParentZone, Key: r.cfg.Key.Name, Rcode: resp.Rcode, TSIGError: tsigError(resp)}
	}
	if err != nil {
		return fmt.Errorf("delegation: update of %s at %s with key %s: %w", r.cfg.ParentZone, r.cfg.Server, r.cfg.Key.Name, err)
	}
	return nil
}

// exchange sends m to the parent over a new TCP connection.
func (r *Registrar) exchange(ctx context.Context, m *dns.Msg, tsig map[string]string) (*dns.Msg, error) {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	conn, err := r.cfg.Dial(ctx, "tcp", r.cfg.Server)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	c := &dns.Client{Net: "tcp", Timeout: r.cfg.Timeout, TsigSecret: tsig}
	resp, _, err := c.ExchangeWithConnContext(ctx, m, &dns.Conn{Conn: conn})
	return resp, err
}

// UpdateError is an update the parent answered with an error rcode.
type UpdateError struct {
	Server, Zone, Key string
	Rcode             int
	TSIGError         int // the TSIG error of the answer (BADSIG, BADKEY, BADTIME), 0 if none
}

func (e *UpdateError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "delegation: update of %s at %s refused: %s", e.Zone, e.Server, dns.RcodeToString[e.Rcode])
	switch e.TSIGError {
	case 0:
	case dns.RcodeBadKey:
		fmt.Fprintf(&b, " (TSIG BADKEY: the parent does not know key %s)", e.Key)
	case dns.RcodeBadSig:
		fmt.Fprintf(&b, " (TSIG BADSIG: the secret of key %s is not the parent's)", e.Key)
	case dns.RcodeBadTime:
		b.WriteString(" (TSIG BADTIME: this host's clock and the parent's differ by more than 300 s)")
	default:
		fmt.Fprintf(&b, " (TSIG error %s)", dns.RcodeToString[e.TSIGError])
	}
	switch e.Rcode {
	case dns.RcodeRefused:
		if e.Key == "" {
			fmt.Fprintf(&b, " (the parent does not allow unsigned updates of %s from this address)", e.Zone)
		} else {
			fmt.Fprintf(&b, " (the parent does not allow updates of %s with key %s)", e.Zone, e.Key)
		}
	case dns.RcodeNotAuth:
		if e.TSIGError == 0 {
			fmt.Fprintf(&b, " (%s is not authoritative for %s, or does not know key %s)", e.Server, e.Zone, e.Key)
		}
	case dns.RcodeNXRrset, dns.RcodeYXRrset:
		b.WriteString(" (the NS set changed since it was read: another site updated it)")
	}
	return b.String()
}

func tsigError(m *dns.Msg) int {
	if t := m.IsTsig(); t != nil {
		return int(t.Error)
	}
	return 0
}
