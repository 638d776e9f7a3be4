package delegation

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/miekg/dns"
	"go.yaml.in/yaml/v3"
)

// File is a delegation file (gslb-syncer --delegation FILE): this site's
// name server for the GSLB zone, and where to keep it: the parent server
// by RFC 2136, a DNSEndpoint object for ExternalDNS, or both.
type File struct {
	Zone, NS      string        // the GSLB zone and this site's name server, canonical
	WithdrawAfter time.Duration // not ready this long: the NS is withdrawn
	Interval      time.Duration // between checks
	Addrs         []netip.Addr  // this site's NS addresses (the glue)
	// SiteDNS: when this syncer's own plugin serves no table, ask Addrs
	// for the zone's SOA (readiness.siteDNS, default true), waiting
	// SiteDNSTimeout for each, on port SiteDNSPort (0: 53).
	SiteDNS        bool
	SiteDNSTimeout time.Duration
	SiteDNSPort    int
	RFC2136        *Config         // nil: no RFC 2136 output
	DNSEndpoint    *EndpointConfig // nil: no DNSEndpoint output
}

// Defaults of a delegation file.
const (
	DefaultWithdrawAfter = 60 * time.Second
	DefaultInterval      = 10 * time.Second
	DefaultNamespace     = "gslb"
)

// fileYAML is the file as written; see syncer/README.md, Delegation.
type fileYAML struct {
	Zone          string           `yaml:"zone"`
	NameServer    nameServerYAML   `yaml:"nameServer"`
	TTL           uint32           `yaml:"ttl"`
	WithdrawAfter time.Duration    `yaml:"withdrawAfter"`
	Interval      time.Duration    `yaml:"interval"`
	Readiness     readinessYAML    `yaml:"readiness"`
	RFC2136       *rfc2136YAML     `yaml:"rfc2136"`
	DNSEndpoint   *dnsEndpointYAML `yaml:"dnsEndpoint"`
}

type nameServerYAML struct {
	Name      string   `yaml:"name"`
	Addresses []string `yaml:"addresses"`
}

type readinessYAML struct {
	SiteDNS *bool         `yaml:"siteDNS"`
	Timeout time.Duration `yaml:"timeout"`
}

type rfc2136YAML struct {
	Server     string        `yaml:"server"`
	ParentZone string        `yaml:"parentZone"`
	KeyFile    string        `yaml:"keyFile"`
	Unsigned   bool          `yaml:"unsigned"`
	Timeout    time.Duration `yaml:"timeout"`
}

type dnsEndpointYAML struct {
	Kubeconfig string `yaml:"kubeconfig"`
	Context    string `yaml:"context"`
	Namespace  string `yaml:"namespace"`
	Name       string `yaml:"name"`
}

// fileError is a problem in the file, located by its line when known.
type fileError struct {
	path  string
	line  int
	field string
	msg   string
}

func (e *fileError) Error() string {
	if e.line > 0 {
		return fmt.Sprintf("%s:%d: %s: %s", e.path, e.line, e.field, e.msg)
	}
	return fmt.Sprintf("%s: %s: %s", e.path, e.field, e.msg)
}

// LoadFile reads and checks a delegation file. The TSIG key is read from
// the file the delegation file names; its secret appears in no error.
func LoadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var y fileYAML
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&y); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c := &fileChecker{path: path, root: &root}
	f := c.file(&y)
	if err := errors.Join(c.errs...); err != nil {
		return nil, err
	}
	return f, nil
}

// fileChecker gathers the problems of a file, each named by field and line.
type fileChecker struct {
	path string
	root *yaml.Node
	errs []error
}

func (c *fileChecker) fail(field, format string, args ...any) {
	c.errs = append(c.errs, &fileError{path: c.path, line: lineOf(c.root, field), field: field, msg: fmt.Sprintf(format, args...)})
}

// file checks y field by field and builds the File.
func (c *fileChecker) file(y *fileYAML) *File {
	f := &File{WithdrawAfter: y.WithdrawAfter, Interval: y.Interval}
	zone := c.name("zone", y.Zone)
	ns := c.name("nameServer.name", y.NameServer.Name)
	addrs := c.addrs(y.NameServer.Addresses)
	f.Zone, f.NS, f.Addrs = zone, ns, addrs
	f.SiteDNS = y.Readiness.SiteDNS == nil || *y.Readiness.SiteDNS
	f.SiteDNSTimeout = c.positive("readiness.timeout", y.Readiness.Timeout, DefaultSiteDNSTimeout)
	f.WithdrawAfter = c.positive("withdrawAfter", f.WithdrawAfter, DefaultWithdrawAfter)
	f.Interval = c.positive("interval", f.Interval, DefaultInterval)
	if y.RFC2136 == nil && y.DNSEndpoint == nil {
		c.fail("rfc2136", "neither rfc2136 nor dnsEndpoint is set: nothing to keep the delegation in")
	}
	if r := y.RFC2136; r != nil {
		f.RFC2136 = &Config{Zone: zone, NS: ns, Addrs: addrs, TTL: y.TTL, Timeout: r.Timeout, Unsigned: r.Unsigned}
		f.RFC2136.Server = c.server(r.Server)
		f.RFC2136.ParentZone = c.name("rfc2136.parentZone", r.ParentZone)
		f.RFC2136.Key = c.key(r.KeyFile, r.Unsigned)
		c.rfc2136(f.RFC2136)
	}
	if e := y.DNSEndpoint; e != nil {
		f.DNSEndpoint = &EndpointConfig{Zone: zone, NS: ns, Addrs: addrs, TTL: y.TTL,
			Kubeconfig: e.Kubeconfig, Context: e.Context, Namespace: e.Namespace, Name: e.Name}
		f.DNSEndpoint.defaults()
	}
	return f
}

// rfc2136 checks what only the whole Config tells (the parent zone against
// the zone and the NS), once each field is good.
func (c *fileChecker) rfc2136(cfg *Config) {
	if len(c.errs) > 0 {
		return
	}
	if err := cfg.Validate(); err != nil {
		c.fail("rfc2136.parentZone", "%v", err)
	}
}

func (c *fileChecker) name(field, v string) string {
	if v == "" {
		c.fail(field, "is empty")
		return ""
	}
	if _, ok := dns.IsDomainName(v); !ok {
		c.fail(field, "%q is not a domain name", v)
	}
	return dns.CanonicalName(v)
}

func (c *fileChecker) addrs(in []string) []netip.Addr {
	var out []netip.Addr
	for i, s := range in {
		a, err := netip.ParseAddr(s)
		if err != nil {
			c.fail(fmt.Sprintf("nameServer.addresses[%d]", i), "%q is not an IP address", s)
			continue
		}
		out = append(out, a.Unmap())
	}
	return out
}

func (c *fileChecker) positive(field string, d, def time.Duration) time.Duration {
	switch {
	case d < 0:
		c.fail(field, "%v is negative", d)
	case d == 0:
		return def
	}
	return d
}

// server is HOST[:PORT], port 53 by default.
func (c *fileChecker) server(s string) string {
	if s == "" {
		c.fail("rfc2136.server", "is empty")
		return ""
	}
	if _, _, err := net.SplitHostPort(s); err != nil {
		s = net.JoinHostPort(strings.Trim(s, "[]"), "53")
	}
	return s
}

// key reads the TSIG key file; unsigned updates take none.
func (c *fileChecker) key(path string, unsigned bool) Key {
	switch {
	case unsigned && path != "":
		c.fail("rfc2136.unsigned", "is true, and rfc2136.keyFile is set: choose one")
		return Key{}
	case unsigned:
		return Key{}
	case path == "":
		c.fail("rfc2136.keyFile", "is empty (the TSIG key, as tsig-keygen writes it; or unsigned: true)")
		return Key{}
	}
	k, err := ReadKeyFile(path)
	if err != nil {
		c.fail("rfc2136.keyFile", "%v", err)
	}
	return k
}

// lineOf returns the line of the value of a dotted field path in a YAML
// document (list indexes as [i]), or of its nearest parent; 0 if unknown.
func lineOf(doc *yaml.Node, field string) int {
	n := doc
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := 0
	for part := range strings.SplitSeq(field, ".") {
		name, index, _ := strings.Cut(strings.TrimSuffix(part, "]"), "[")
		if n = child(n, name); n == nil {
			return line
		}
		line = n.Line
		if index != "" {
			var i int
			if _, err := fmt.Sscan(index, &i); err != nil || n.Kind != yaml.SequenceNode || i >= len(n.Content) {
				return line
			}
			n = n.Content[i]
			line = n.Line
		}
	}
	return line
}

// child returns the value of key in a mapping node.
func child(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
