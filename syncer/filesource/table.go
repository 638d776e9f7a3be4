package filesource

// The top level of a members file: its keys, its defaults and the list of
// records (record.go builds each one).

import (
	"slices"
	"strings"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"go.yaml.in/yaml/v3"
)

// defaults are the record fields a file may set once for all records.
type defaults struct {
	ttl          *uint32 // nil: the name server's default; 0 is served as 0
	algorithm    gslbv1.Algorithm
	downResponse gslbv1.DownResponse
	check        *checkBlock // nil when not set
	routing      routingDefaults
	sites        *sites // the file's sites mapping; nil when not set
}

var (
	fileKeys     = []string{"defaults", "records", "sites", "drained"}
	defaultsKeys = []string{"ttl", "algorithm", "downResponse", "healthCheck", "siteOrder", "hashMask"}
	recordKeys   = []string{"fqdn", "ttl", "algorithm", "downResponse", "fallback", "healthCheck", "siteOrder", "hashMask", "members"}
	memberKeys   = []string{"address", "hostname", "cluster", "site", "weight", "priority", "health", "healthReason", "probePort"}
)

func (p *parser) table(root *yaml.Node) ([]*gslbv1.Record, error) {
	h, err := p.header(root)
	if err != nil {
		return nil, err
	}
	items := h.records.Content
	if err := p.recordCount(len(items), h.records); err != nil {
		return nil, err
	}
	b := p.builder(h, len(items))
	for _, n := range items {
		if err := b.add(n); err != nil {
			return nil, err
		}
	}
	return b.finish(), nil
}

// header is the top level of a file but its records: the defaults, the
// sites, the drains and the records' list node.
type header struct {
	d       defaults
	drained drainedSet
	records *yaml.Node
}

// header reads the top level of the file, but not the records themselves.
func (p *parser) header(root *yaml.Node) (header, error) {
	var h header
	if err := p.noAlias(root); err != nil {
		return h, err
	}
	if root.Kind != yaml.MappingNode {
		return h, p.errorf(root, `want a mapping with "records", got %s`, describe(root))
	}
	f, err := p.fields(root, fileKeys)
	if err != nil {
		return h, err
	}
	if err := f.problem(p, ""); err != nil {
		return h, err
	}
	if n := f.get("defaults"); n != nil {
		if h.d, err = p.defaults(n); err != nil {
			return h, err
		}
	}
	if n := f.get("sites"); n != nil {
		if h.d.sites, err = p.sites(n); err != nil {
			return h, err
		}
	}
	if n := f.get("drained"); n != nil {
		if h.drained, err = p.drained(n); err != nil {
			return h, err
		}
	}
	recs, ok := f.lookup("records")
	if !ok {
		return h, p.errorf(root, `missing "records" ("records: []" for an empty table)`)
	}
	if isNull(recs.value) {
		// A half-written file must not empty the table by accident.
		return h, p.errorf(recs.key, `"records" has no value ("records: []" for an empty table)`)
	}
	if recs.value.Kind != yaml.SequenceNode {
		return h, p.errorf(recs.value, "records must be a list, got %s", describe(recs.value))
	}
	h.records = recs.value
	return h, nil
}

// recordCount refuses more records than one push may carry; at is the list.
func (p *parser) recordCount(n int, at *yaml.Node) error {
	if n > gslbv1.MaxRecordsPerPush {
		return p.errorf(at, "%d records, at most %d", n, gslbv1.MaxRecordsPerPush)
	}
	return nil
}

// tableBuilder converts the records of a file one by one, in file order.
type tableBuilder struct {
	p         *parser
	h         header
	out       []*gslbv1.Record
	firstLine map[string]int // the line that defined each fqdn so far
}

func (p *parser) builder(h header, n int) *tableBuilder {
	return &tableBuilder{p: p, h: h, out: make([]*gslbv1.Record, 0, n), firstLine: make(map[string]int, n)}
}

// add converts the next record, from its node.
func (b *tableBuilder) add(n *yaml.Node) error {
	r, err := b.p.record(n, len(b.out), b.h.d, b.firstLine)
	if err != nil {
		return err
	}
	b.out = append(b.out, r)
	return nil
}

// finish applies the drains and returns the records sorted by fqdn.
func (b *tableBuilder) finish() []*gslbv1.Record {
	b.h.drained.apply(b.out)
	slices.SortFunc(b.out, func(a, b *gslbv1.Record) int { return strings.Compare(a.Fqdn, b.Fqdn) })
	return b.out
}

func (p *parser) defaults(n *yaml.Node) (defaults, error) {
	var d defaults
	if n.Kind != yaml.MappingNode {
		return d, p.errorf(n, "defaults must be a mapping, got %s", describe(n))
	}
	f, err := p.fields(n, defaultsKeys)
	if err != nil {
		return d, err
	}
	if err := f.problem(p, "defaults"); err != nil {
		return d, err
	}
	if v := f.get("ttl"); v != nil {
		if d.ttl, err = p.ttl(v, "defaults: ttl"); err != nil {
			return d, err
		}
	}
	if v := f.get("algorithm"); v != nil {
		if d.algorithm, err = enum(p, v, "defaults: algorithm", algorithms); err != nil {
			return d, err
		}
	}
	if v := f.get("downResponse"); v != nil {
		if d.downResponse, err = enum(p, v, "defaults: downResponse", downResponses); err != nil {
			return d, err
		}
	}
	if v := f.get("healthCheck"); v != nil {
		if d.check, err = p.healthCheck(v, "defaults: healthCheck"); err != nil {
			return d, err
		}
		if err := p.applicable(d.check, effectiveType(d.check, nil), "defaults: healthCheck"); err != nil {
			return d, err
		}
	}
	if d.routing, err = p.routingFields(f, "defaults: ", routingDefaults{}); err != nil {
		return d, err
	}
	return d, nil
}
