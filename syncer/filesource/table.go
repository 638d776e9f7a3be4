package filesource

// The top level of a members file: its keys, its defaults and the list of
// records (record.go builds each one).

import (
	"slices"
	"strings"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/health"
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

func (p *parser) table(root *yaml.Node) ([]health.Record, error) {
	if err := p.noAlias(root); err != nil {
		return nil, err
	}
	if root.Kind != yaml.MappingNode {
		return nil, p.errorf(root, `want a mapping with "records", got %s`, describe(root))
	}
	f, err := p.fields(root, fileKeys)
	if err != nil {
		return nil, err
	}
	if err := f.problem(p, ""); err != nil {
		return nil, err
	}
	var d defaults
	if n := f.get("defaults"); n != nil {
		if d, err = p.defaults(n); err != nil {
			return nil, err
		}
	}
	if n := f.get("sites"); n != nil {
		if d.sites, err = p.sites(n); err != nil {
			return nil, err
		}
	}
	var drained drainedSet
	if n := f.get("drained"); n != nil {
		if drained, err = p.drained(n); err != nil {
			return nil, err
		}
	}
	recs, ok := f.fields["records"]
	if !ok {
		return nil, p.errorf(root, `missing "records" ("records: []" for an empty table)`)
	}
	if isNull(recs.value) {
		// A half-written file must not empty the table by accident.
		return nil, p.errorf(recs.key, `"records" has no value ("records: []" for an empty table)`)
	}
	if recs.value.Kind != yaml.SequenceNode {
		return nil, p.errorf(recs.value, "records must be a list, got %s", describe(recs.value))
	}
	if n := len(recs.value.Content); n > gslbv1.MaxRecordsPerPush {
		return nil, p.errorf(recs.value, "%d records, at most %d", n, gslbv1.MaxRecordsPerPush)
	}
	out := make([]health.Record, 0, len(recs.value.Content))
	firstLine := make(map[string]int, len(recs.value.Content))
	for i, n := range recs.value.Content {
		r, err := p.record(n, i, d, firstLine)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	drained.apply(out)
	slices.SortFunc(out, func(a, b health.Record) int { return strings.Compare(a.Record.Fqdn, b.Record.Fqdn) })
	return out, nil
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
