package filesource

import (
	"slices"
	"strings"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/health"
	"go.yaml.in/yaml/v3"
)

// This file reads the healthCheck blocks (of defaults and of records) and
// the members' probePort.

var checkKeys = []string{
	"type", "method", "path", "host", "expectStatus", "bodyContains", "sni", "insecureSkipVerify",
	"port", "interval", "timeout", "rise", "fall",
}

// checkBlock is one healthCheck mapping as written: the fields it sets.
type checkBlock struct {
	node  *yaml.Node
	set   map[string]*yaml.Node // key → value node, for the fields present
	check health.Check          // the values of the fields present
}

// httpOnly and httpsOnly are the fields that apply to some types only.
var (
	httpOnly  = []string{"method", "path", "host", "expectStatus", "bodyContains"}
	httpsOnly = []string{"sni", "insecureSkipVerify"}
)

// healthCheck reads a healthCheck mapping; label names it in messages
// ("defaults: healthCheck", `record "a.": healthCheck`).
func (p *parser) healthCheck(n *yaml.Node, label string) (*checkBlock, error) {
	if n.Kind != yaml.MappingNode {
		return nil, p.errorf(n, "%s must be a mapping, got %s", label, describe(n))
	}
	f, err := p.fields(n, checkKeys)
	if err != nil {
		return nil, err
	}
	if err := f.problem(p, label); err != nil {
		return nil, err
	}
	b := &checkBlock{node: n, set: map[string]*yaml.Node{}}
	c := &b.check
	for _, k := range checkKeys {
		v := f.get(k)
		if v == nil {
			continue
		}
		b.set[k] = v
		what := label + ": " + k
		switch k {
		case "type":
			c.Type, err = enum(p, v, what, checkTypes)
		case "method":
			c.Method, err = enum(p, v, what, methods)
		case "path":
			if c.Path, err = p.str(v, what); err == nil {
				err = p.located(v, label, health.CheckPath(c.Path))
			}
		case "host":
			if c.Host, err = p.str(v, what); err == nil {
				err = p.located(v, label, health.CheckHost("host", c.Host))
			}
		case "sni":
			if c.SNI, err = p.str(v, what); err == nil {
				err = p.located(v, label, health.CheckHost("sni", c.SNI))
			}
		case "bodyContains":
			if c.BodyContains, err = p.str(v, what); err == nil {
				if c.BodyContains == "" {
					err = p.errorf(v, "%s is empty: leave it out to check the status only", what)
				} else {
					err = p.located(v, label, health.CheckBodyContains(c.BodyContains))
				}
			}
		case "expectStatus":
			c.ExpectStatus, err = p.expectStatus(v, what, label)
		case "insecureSkipVerify":
			c.InsecureSkipVerify, err = p.bool(v, what)
		case "port":
			var port int
			port, err = p.intRange(v, what, 1, 65535)
			c.Port = uint16(port)
		case "interval":
			c.Interval, err = p.duration(v, what)
		case "timeout":
			c.Timeout, err = p.duration(v, what)
		case "rise":
			c.Rise, err = p.intRange(v, what, 1, health.MaxThreshold)
		case "fall":
			c.Fall, err = p.intRange(v, what, 1, health.MaxThreshold)
		}
		if err != nil {
			return nil, err
		}
	}
	return b, nil
}

// located places a validation error of a field at the field's value.
func (p *parser) located(v *yaml.Node, label string, err error) error {
	if err == nil {
		return nil
	}
	return p.errorf(v, "%s: %v", label, err)
}

// applicable refuses the fields of b that do not apply to the type typ.
func (p *parser) applicable(b *checkBlock, typ health.Type, label string) error {
	if b == nil || typ == health.TypeNone {
		return nil
	}
	for _, k := range checkKeys {
		v, ok := b.set[k]
		switch {
		case !ok:
		case typ == health.TypeTCP && (contains(httpOnly, k) || contains(httpsOnly, k)):
			return p.errorf(v, "%s: %s does not apply to type tcp", label, k)
		case typ == health.TypeHTTP && contains(httpsOnly, k):
			return p.errorf(v, "%s: %s applies to type https only", label, k)
		}
	}
	return nil
}

func contains(list []string, s string) bool { return slices.Contains(list, s) }

// effectiveType is the type of a block on top of another (nil for none).
func effectiveType(b, under *checkBlock) health.Type {
	switch {
	case b != nil && b.set["type"] != nil:
		return b.check.Type
	case under != nil && under.set["type"] != nil:
		return under.check.Type
	default:
		return health.DefaultType
	}
}

// mergeChecks returns the check of a record: its own block over the
// defaults' one, field by field, then the defaults of the package. ok is
// false when the record is not probed (no block at all, or type none).
func mergeChecks(def, own *checkBlock, fqdn string) (c health.Check, ok bool) {
	if def == nil && own == nil {
		return c, false
	}
	c.Type = effectiveType(own, def)
	if c.Type == health.TypeNone {
		return c, false
	}
	for _, b := range []*checkBlock{def, own} {
		if b == nil {
			continue
		}
		for k := range b.set {
			switch k {
			case "method":
				c.Method = b.check.Method
			case "path":
				c.Path = b.check.Path
			case "host":
				c.Host = b.check.Host
			case "sni":
				c.SNI = b.check.SNI
			case "bodyContains":
				c.BodyContains = b.check.BodyContains
			case "expectStatus":
				c.ExpectStatus = b.check.ExpectStatus
			case "insecureSkipVerify":
				c.InsecureSkipVerify = b.check.InsecureSkipVerify
			case "port":
				c.Port = b.check.Port
			case "interval":
				c.Interval = b.check.Interval
			case "timeout":
				c.Timeout = b.check.Timeout
			case "rise":
				c.Rise = b.check.Rise
			case "fall":
				c.Fall = b.check.Fall
			}
		}
	}
	// Fields of the defaults that do not apply to the record's type are
	// ignored (the record's own ones were refused).
	if c.Type != health.TypeHTTP && c.Type != health.TypeHTTPS {
		c.Method, c.Path, c.Host, c.ExpectStatus, c.BodyContains = "", "", "", "", ""
	}
	if c.Type != health.TypeHTTPS {
		c.SNI, c.InsecureSkipVerify = "", false
	}
	return c.WithDefaults(fqdn), true
}

var (
	checkTypes = []enumValue[health.Type]{
		{"http", health.TypeHTTP}, {"https", health.TypeHTTPS}, {"tcp", health.TypeTCP}, {"none", health.TypeNone},
	}
	methods = []enumValue[string]{{"GET", "GET"}, {"HEAD", "HEAD"}}
)

// expectStatus reads "200-399,404", or a single code written as a number.
func (p *parser) expectStatus(v *yaml.Node, what, label string) (string, error) {
	if v.Kind != yaml.ScalarNode || (v.ShortTag() != "!!str" && v.ShortTag() != "!!int") {
		return "", p.errorf(v, `%s must be codes or ranges like "200-399,404", got %s`, what, describe(v))
	}
	r, err := health.ParseStatusRanges(v.Value)
	if err != nil {
		return "", p.errorf(v, "%s: %v", label, err)
	}
	return health.CanonicalStatus(r), nil
}

// duration reads a positive Go duration: "2s", "500ms", "1m30s".
func (p *parser) duration(v *yaml.Node, what string) (time.Duration, error) {
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" {
		return 0, p.errorf(v, `%s must be a duration like "2s" or "500ms", got %s`, what, describe(v))
	}
	d, err := time.ParseDuration(strings.TrimSpace(v.Value))
	if err != nil || d <= 0 {
		return 0, p.errorf(v, `%s %q is not a positive duration like "2s" or "500ms"`, what, v.Value)
	}
	return d, nil
}

// bool reads true or false.
func (p *parser) bool(v *yaml.Node, what string) (bool, error) {
	var b bool
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!bool" || v.Decode(&b) != nil {
		return false, p.errorf(v, "%s must be true or false, got %s", what, describe(v))
	}
	return b, nil
}

// intRange reads a whole number between lo and hi.
func (p *parser) intRange(v *yaml.Node, what string, lo, hi int) (int, error) {
	if v.Kind != yaml.ScalarNode {
		return 0, p.errorf(v, "%s must be a whole number, got %s", what, describe(v))
	}
	outOfRange := p.errorf(v, "%s %s must be between %d and %d", what, v.Value, lo, hi)
	switch v.ShortTag() {
	case "!!int":
		var n int64
		if err := v.Decode(&n); err != nil || n < int64(lo) || n > int64(hi) {
			return 0, outOfRange
		}
		return int(n), nil
	case "!!float":
		if integerLike.MatchString(v.Value) {
			return 0, outOfRange
		}
	}
	return 0, p.errorf(v, "%s %s is not a whole number", what, scalarText(v))
}

// memberInfo is a member with its probePort (0 for none) and its node.
type memberInfo struct {
	member    *gslbv1.Member
	probePort uint16
	node      *yaml.Node
}

// recordChecks returns the check of each member of a record, given the
// record's merged check; at locates the errors of the check itself. nil
// means that no member is probed (hostnames never are).
func (p *parser) recordChecks(c health.Check, members []memberInfo, label string, at *yaml.Node) ([]*health.Check, error) {
	shared := &c
	var out []*health.Check
	for i, m := range members {
		if m.member.GetAddress() == "" {
			continue
		}
		mc := shared
		if m.probePort != 0 {
			cc := c
			cc.Port = m.probePort
			mc = &cc
		}
		if mc.Port == 0 {
			return nil, p.errorf(m.node, "%s: member %d (%s): healthCheck: %v", label, i+1, memberLabel(m.member), mc.Validate())
		}
		if out == nil {
			out = make([]*health.Check, len(members))
		}
		out[i] = mc
	}
	// The rest of the check is the same for every member.
	probe := c
	if probe.Port == 0 {
		probe.Port = 1 // checked per member above
	}
	if err := probe.Validate(); err != nil {
		return nil, p.errorf(at, "%s: healthCheck: %v", label, err)
	}
	return out, nil
}

// checkNode locates the errors of a record's merged check: at the record's
// own healthCheck, else at the defaults' one.
func checkNode(def, own *checkBlock, record *yaml.Node) *yaml.Node {
	switch {
	case own != nil:
		return own.node
	case def != nil:
		return def.node
	default:
		return record
	}
}
