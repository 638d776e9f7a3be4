package health

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Type is the kind of probe.
type Type uint8

// The kinds of probe. TypeNone turns probing off.
const (
	TypeNone Type = iota
	TypeHTTP
	TypeHTTPS
	TypeTCP
)

var typeNames = [...]string{TypeNone: "none", TypeHTTP: "http", TypeHTTPS: "https", TypeTCP: "tcp"}

func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "type(" + strconv.Itoa(int(t)) + ")"
}

// ParseType reads "http", "https", "tcp" or "none" (any case).
func ParseType(s string) (Type, error) {
	for i, n := range typeNames {
		if strings.EqualFold(s, n) {
			return Type(i), nil
		}
	}
	return TypeNone, fmt.Errorf("type %q is not one of http, https, tcp, none", s)
}

// Defaults of a check: a dead member is marked down after Fall failed probes
// Interval apart, so within Fall × Interval + Timeout = 7 s of its death.
const (
	DefaultType         = TypeHTTP
	DefaultMethod       = "GET"
	DefaultPath         = "/"
	DefaultExpectStatus = "200-399"
	DefaultHTTPPort     = 80
	DefaultHTTPSPort    = 443
	DefaultInterval     = 2 * time.Second
	DefaultTimeout      = time.Second
	DefaultRise         = 2
	DefaultFall         = 3
)

// Limits of a check.
const (
	MinInterval     = 100 * time.Millisecond
	MaxInterval     = time.Hour
	MinTimeout      = 10 * time.Millisecond
	MaxThreshold    = 100 // rise and fall
	MaxBodyContains = 1024
	// MaxBodyRead is how much of a response body bodyContains searches.
	MaxBodyRead = 64 << 10
)

// Check is one health check, as it applies to one member: Port is already
// the member's probe port. Checks are comparable: two members with equal
// checks on the same address are probed once.
type Check struct {
	Type Type
	// HTTP and HTTPS only.
	Method       string // GET or HEAD
	Path         string // starts with "/"
	Host         string // the Host header (and the default SNI)
	ExpectStatus string // canonical ranges, "200-399,404"
	BodyContains string // "" for no body check
	// HTTPS only.
	SNI                string // default: Host
	InsecureSkipVerify bool
	// All types.
	// Address, when set, is probed instead of the member's address: the
	// member is a public address (NAT, proxy) of the load balancer probed.
	Address  string
	Port     uint16
	Interval time.Duration
	Timeout  time.Duration
	Rise     int
	Fall     int
}

// WithDefaults fills the fields left zero with the defaults; host is the
// default Host header (the record's name, without the final dot).
func (c Check) WithDefaults(host string) Check {
	if c.Type == TypeNone {
		return c
	}
	if c.Type == TypeHTTP || c.Type == TypeHTTPS {
		if c.Method == "" {
			c.Method = DefaultMethod
		}
		if c.Path == "" {
			c.Path = DefaultPath
		}
		if c.Host == "" {
			c.Host = strings.TrimSuffix(host, ".")
		}
		if c.ExpectStatus == "" {
			c.ExpectStatus = DefaultExpectStatus
		}
	}
	if c.Port == 0 {
		switch c.Type {
		case TypeHTTP:
			c.Port = DefaultHTTPPort
		case TypeHTTPS:
			c.Port = DefaultHTTPSPort
		}
	}
	if c.Interval == 0 {
		c.Interval = DefaultInterval
	}
	if c.Timeout == 0 {
		c.Timeout = min(DefaultTimeout, c.Interval/2)
	}
	if c.Rise == 0 {
		c.Rise = DefaultRise
	}
	if c.Fall == 0 {
		c.Fall = DefaultFall
	}
	return c
}

// Validate checks a complete check (after WithDefaults). Its messages name
// the field as the members file spells it.
func (c Check) Validate() error {
	if c.Type == TypeNone {
		return nil
	}
	if c.Type > TypeTCP {
		return fmt.Errorf("unknown type %d", c.Type)
	}
	if c.Port == 0 {
		return fmt.Errorf("%s needs a port (port, or probePort on every member)", c.Type)
	}
	if c.Interval < MinInterval || c.Interval > MaxInterval {
		return fmt.Errorf("interval %v must be between %v and %v", c.Interval, MinInterval, MaxInterval)
	}
	if c.Timeout < MinTimeout || c.Timeout >= c.Interval {
		return fmt.Errorf("timeout %v must be at least %v and less than the interval %v", c.Timeout, MinTimeout, c.Interval)
	}
	if c.Rise < 1 || c.Rise > MaxThreshold {
		return fmt.Errorf("rise %d must be between 1 and %d", c.Rise, MaxThreshold)
	}
	if c.Fall < 1 || c.Fall > MaxThreshold {
		return fmt.Errorf("fall %d must be between 1 and %d", c.Fall, MaxThreshold)
	}
	if c.Type == TypeTCP {
		return nil
	}
	if err := CheckMethod(c.Method); err != nil {
		return err
	}
	if err := CheckPath(c.Path); err != nil {
		return err
	}
	if err := CheckHost("host", c.Host); err != nil {
		return err
	}
	if _, err := ParseStatusRanges(c.ExpectStatus); err != nil {
		return err
	}
	if err := CheckBodyContains(c.BodyContains); err != nil {
		return err
	}
	if c.BodyContains != "" && c.Method == "HEAD" {
		return errors.New("bodyContains needs a body: use method GET, not HEAD")
	}
	if c.SNI != "" {
		if err := CheckHost("sni", c.SNI); err != nil {
			return err
		}
	}
	return nil
}

// CheckMethod accepts GET and HEAD.
func CheckMethod(m string) error {
	if m != "GET" && m != "HEAD" {
		return fmt.Errorf("method %q is not one of GET, HEAD", m)
	}
	return nil
}

// CheckPath accepts an absolute path (with an optional query) of printable
// characters without spaces, as it goes on the request line.
func CheckPath(p string) error {
	if !strings.HasPrefix(p, "/") {
		return fmt.Errorf("path %q must start with /", p)
	}
	if len(p) > 1024 || !printable(p, false) {
		return fmt.Errorf("path %q must be at most 1024 printable characters without spaces", p)
	}
	return nil
}

// CheckHost accepts a host name (or address) for the Host header or the SNI.
func CheckHost(what, h string) error {
	if h == "" || len(h) > 255 || !printable(h, false) || strings.ContainsAny(h, "/?#@") {
		return fmt.Errorf("%s %q must be a host name", what, h)
	}
	return nil
}

// CheckBodyContains accepts a non-empty text of at most MaxBodyContains bytes.
func CheckBodyContains(s string) error {
	if len(s) > MaxBodyContains {
		return fmt.Errorf("bodyContains is %d bytes long, at most %d", len(s), MaxBodyContains)
	}
	return nil
}

// printable reports whether s holds only printable ASCII (and spaces when
// spaces is set).
func printable(s string, spaces bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || (c == ' ' && !spaces) {
			return false
		}
	}
	return true
}

// StatusRange is an inclusive range of HTTP status codes.
type StatusRange struct{ Lo, Hi int }

// ParseStatusRanges reads "200-399,404": codes and ranges of codes between
// 100 and 599, separated by commas.
func ParseStatusRanges(s string) ([]StatusRange, error) {
	bad := func(format string, a ...any) ([]StatusRange, error) {
		return nil, fmt.Errorf("expectStatus %q: %s", s, fmt.Sprintf(format, a...))
	}
	if strings.TrimSpace(s) == "" {
		return bad("want codes or ranges like 200-399,404")
	}
	var out []StatusRange
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		if !isRange {
			hi = lo
		}
		l, err1 := strconv.Atoi(strings.TrimSpace(lo))
		h, err2 := strconv.Atoi(strings.TrimSpace(hi))
		switch {
		case err1 != nil || err2 != nil:
			return bad("%q is not a code or a range like 200-399", part)
		case l < 100 || h > 599:
			return bad("%q: codes must be between 100 and 599", part)
		case l > h:
			return bad("%q: the range is reversed", part)
		}
		out = append(out, StatusRange{l, h})
	}
	return out, nil
}

// CanonicalStatus returns the ranges sorted and merged, in the text form
// ParseStatusRanges reads: "200-299, 300-399" becomes "200-399".
func CanonicalStatus(ranges []StatusRange) string {
	rs := slices.Clone(ranges)
	slices.SortFunc(rs, func(a, b StatusRange) int { return a.Lo - b.Lo })
	var merged []StatusRange
	for _, r := range rs {
		if n := len(merged); n > 0 && r.Lo <= merged[n-1].Hi+1 {
			merged[n-1].Hi = max(merged[n-1].Hi, r.Hi)
			continue
		}
		merged = append(merged, r)
	}
	parts := make([]string, len(merged))
	for i, r := range merged {
		if r.Lo == r.Hi {
			parts[i] = strconv.Itoa(r.Lo)
		} else {
			parts[i] = strconv.Itoa(r.Lo) + "-" + strconv.Itoa(r.Hi)
		}
	}
	return strings.Join(parts, ",")
}

func statusOK(ranges []StatusRange, code int) bool {
	for _, r := range ranges {
		if code >= r.Lo && code <= r.Hi {
			return true
		}
	}
	return false
}

// String describes the check for logs: "http GET / port 80".
func (c Check) String() string {
	switch c.Type {
	case TypeHTTP, TypeHTTPS:
		return fmt.Sprintf("%s %s %s port %d host %s", c.Type, c.Method, c.Path, c.Port, c.Host)
	default:
		return fmt.Sprintf("%s port %d", c.Type, c.Port)
	}
}
