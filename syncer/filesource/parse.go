// Package filesource reads the GSLB table from a YAML members file and
// watches that file for changes.
//
// The file looks like this (camelCase keys; unknown keys are errors):
//
//	defaults:                 # optional; for records that do not set the field
//	  ttl: 30
//	  algorithm: wrr          # wrr | random | topology | geo | consistentHash (routing.go)
//	  downResponse: all       # all | fallback | empty | servfail
//	  healthCheck: {type: http, port: 80, interval: 2s}   # see health.go
//	records:                  # required; "records: []" is an empty table
//	  - fqdn: hello.avi.iberia.local
//	    ttl: 2
//	    fallback: [192.0.2.10]
//	    healthCheck: {bodyContains: resides}  # over the defaults' one, field by field
//	    members:
//	      - {cluster: s1az1, site: site1, address: 127.0.0.11, weight: 6, probePort: 8080}
//	      - {address: "2001:db8::13", priority: 10, health: down}  # up | down | unknown
//	      - {hostname: lb.example.net}                             # answered as a CNAME
package filesource

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/health"
	"go.yaml.in/yaml/v3"
)

// ReadFile reads and parses the members file at path.
func ReadFile(path string) ([]*gslbv1.Record, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse parses a members file; name is the file name used in errors. The
// records come back valid (gslbv1.ValidateRecord), in canonical form (names
// lower-case and fully qualified, addresses as netip prints them) and sorted
// by fqdn. The first problem found is returned as a *ParseError.
func Parse(name string, data []byte) ([]*gslbv1.Record, error) {
	recs, err := ParseChecked(name, data)
	if err != nil {
		return nil, err
	}
	return health.Records(recs), nil
}

// ParseChecked is Parse, with the health checks of each record's members.
func ParseChecked(name string, data []byte) ([]health.Record, error) {
	p := &parser{file: name}
	root, err := p.document(data)
	if err != nil {
		return nil, err
	}
	return p.table(root)
}

// ReadFileChecked is ReadFile, with the health checks of each record's members.
func ReadFileChecked(path string) ([]health.Record, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseChecked(path, data)
}

type parser struct {
	file string
	v    gslbv1.Validator // each distinct routing is validated once
}

func (p *parser) errorf(n *yaml.Node, format string, a ...any) error {
	line := 1
	if n != nil && n.Line > 0 {
		line = n.Line
	}
	return &ParseError{File: p.file, Line: line, Msg: fmt.Sprintf(format, a...)}
}

// document decodes the YAML into nodes, which keep the line numbers, and
// returns the root node of the only document.
func (p *parser) document(data []byte) (root *yaml.Node, err error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := p.decode(dec, &doc, data); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, p.errorf(nil, `empty file: want a mapping with "records" ("records: []" for an empty table)`)
		}
		return nil, err
	}
	var extra yaml.Node
	if err := p.decode(dec, &extra, data); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, err
		}
		return nil, p.errorf(&extra, "a second YAML document; the file must hold exactly one")
	}
	root = &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if isNull(root) {
		return nil, p.errorf(root, `empty file: want a mapping with "records" ("records: []" for an empty table)`)
	}
	return root, nil
}

// yamlLineError matches the syntax errors of the yaml package.
var yamlLineError = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (p *parser) decode(dec *yaml.Decoder, n *yaml.Node, data []byte) (err error) {
	// The yaml package reports its own failures by panicking internally and
	// recovering; should anything escape, a bad file must still not take the
	// syncer down.
	defer func() {
		if r := recover(); r != nil {
			err = p.errorf(nil, "cannot parse YAML: %v", r)
		}
	}()
	err = dec.Decode(n)
	if err == nil || errors.Is(err, io.EOF) {
		return err
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlLineError.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	switch {
	case parserProblems[msg]:
		// The yaml package prints the 0-based line of a parser error (the
		// start of the enclosing collection, or the offending token), and
		// leaves the line out when it is 0. Scanner errors are 1-based.
		line++
	case line == 0:
		// Errors of the reader (bad UTF-8, control characters) carry no
		// line: find the offending byte ourselves.
		line = lineOfBadCharacter(data)
	}
	return p.errorf(&yaml.Node{Line: line}, "%s", msg)
}

// parserProblems are the errors of the yaml package's parser (as opposed to
// its scanner), whose line numbers are 0-based.
var parserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// lineOfBadCharacter returns the line of the first byte that YAML does not
// allow in a document (invalid UTF-8 or a control character), or 1.
func lineOfBadCharacter(data []byte) int {
	line := 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == '\n':
			line++
		case r == utf8.RuneError && size <= 1,
			r < 0x20 && r != '\t' && r != '\r',
			r >= 0x7f && r <= 0x9f && r != 0x85,
			r == 0xfffe || r == 0xffff:
			return line
		}
		i += size
	}
	return 1
}

// defaults are the record fields a file may set once for all records.
type defaults struct {
	ttl          uint32
	algorithm    gslbv1.Algorithm
	downResponse gslbv1.DownResponse
	check        *checkBlock // nil when not set
	routing      routingDefaults
	sites        *sites // the file's sites mapping; nil when not set
}

var (
	fileKeys     = []string{"defaults", "records", "sites"}
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
		if d.ttl, err = p.uint32(v, "defaults: ttl", gslbv1.MaxTTL); err != nil {
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

// record builds the index-th record, with the checks of its members, from
// its node. firstLine maps the fqdns seen so far to the line that defined them.
func (p *parser) record(n *yaml.Node, index int, d defaults, firstLine map[string]int) (health.Record, error) {
	var none health.Record
	if err := p.noAlias(n); err != nil {
		return none, err
	}
	if n.Kind != yaml.MappingNode {
		return none, p.errorf(n, "record %d: want a mapping with fqdn and members, got %s", index+1, describe(n))
	}
	f, err := p.fields(n, recordKeys)
	if err != nil {
		return none, err
	}
	fqdnNode := f.get("fqdn")
	if fqdnNode == nil {
		return none, p.errorf(n, "record %d: missing fqdn", index+1)
	}
	raw, err := p.str(fqdnNode, fmt.Sprintf("record %d: fqdn", index+1))
	if err != nil {
		return none, err
	}
	fqdn, err := gslbv1.CanonicalName(raw)
	if err != nil {
		return none, p.errorf(fqdnNode, "record %q: %v", raw, err)
	}
	label := fmt.Sprintf("record %q", fqdn)
	if line, dup := firstLine[fqdn]; dup {
		return none, p.errorf(fqdnNode, "%s: duplicate fqdn, first defined at line %d", label, line)
	}
	firstLine[fqdn] = fqdnNode.Line
	if err := f.problem(p, label); err != nil {
		return none, err
	}

	r := &gslbv1.Record{Fqdn: fqdn, Ttl: d.ttl, Algorithm: d.algorithm, DownResponse: d.downResponse, Origin: "file " + p.file}
	if v := f.get("ttl"); v != nil {
		if r.Ttl, err = p.uint32(v, label+": ttl", gslbv1.MaxTTL); err != nil {
			return none, err
		}
	}
	if v := f.get("algorithm"); v != nil {
		if r.Algorithm, err = enum(p, v, label+": algorithm", algorithms); err != nil {
			return none, err
		}
	}
	if v := f.get("downResponse"); v != nil {
		if r.DownResponse, err = enum(p, v, label+": downResponse", downResponses); err != nil {
			return none, err
		}
	}
	if v := f.get("fallback"); v != nil {
		if r.Fallback, err = p.strings(v, label+": fallback"); err != nil {
			return none, err
		}
	}
	var own *checkBlock
	if v := f.get("healthCheck"); v != nil {
		if own, err = p.healthCheck(v, label+": healthCheck"); err != nil {
			return none, err
		}
		if err := p.applicable(own, effectiveType(own, d.check), label+": healthCheck"); err != nil {
			return none, err
		}
	}
	var infos []memberInfo
	if v := f.get("members"); v != nil {
		if v.Kind != yaml.SequenceNode {
			return none, p.errorf(v, "%s: members must be a list, got %s", label, describe(v))
		}
		for i, mn := range v.Content {
			m, err := p.member(mn, label, i)
			if err != nil {
				return none, err
			}
			r.Members = append(r.Members, m.member)
			infos = append(infos, m)
		}
	}

	rd, err := p.routingFields(f, label+": ", d.routing)
	if err != nil {
		return none, err
	}
	if r.Routing, err = p.routing(r, rd, d.sites, infos, label, n); err != nil {
		return none, err
	}
	// The shared validation has the last word, so that the syncer refuses
	// exactly what the plugin would refuse.
	if err := p.v.Record(r); err != nil {
		return none, p.errorf(n, "%v", err)
	}
	canonicalise(r)
	out := health.Record{Record: r}
	if c, ok := mergeChecks(d.check, own, fqdn); ok {
		if out.Checks, err = p.recordChecks(c, infos, label, checkNode(d.check, own, n)); err != nil {
			return none, err
		}
	}
	return out, nil
}

func (p *parser) member(n *yaml.Node, record string, index int) (memberInfo, error) {
	var none memberInfo
	label := fmt.Sprintf("%s: member %d", record, index+1)
	if err := p.noAlias(n); err != nil {
		return none, err
	}
	if n.Kind != yaml.MappingNode {
		return none, p.errorf(n, "%s: want a mapping with address or hostname, got %s", label, describe(n))
	}
	f, err := p.fields(n, memberKeys)
	if err != nil {
		return none, err
	}
	// Weight defaults to 1, so that a member listed without a weight is
	// served; write "weight: 0" to drain it. Priority defaults to 0, the
	// lowest (higher is preferred); health to unknown (not checked, served).
	m := &gslbv1.Member{Weight: 1}
	// The identifying fields first, so that every later message can name the member.
	for _, s := range []struct {
		key string
		dst *string
	}{{"address", &m.Address}, {"hostname", &m.Hostname}, {"cluster", &m.Cluster}} {
		if v := f.get(s.key); v != nil {
			if *s.dst, err = p.str(v, label+": "+s.key); err != nil {
				return none, err
			}
		}
	}
	if id := memberLabel(m); id != "" {
		label += " (" + id + ")"
	}
	if err := f.problem(p, label); err != nil {
		return none, err
	}
	if v := f.get("site"); v != nil {
		if m.Site, err = p.str(v, label+": site"); err != nil {
			return none, err
		}
	}
	if v := f.get("healthReason"); v != nil {
		if m.HealthReason, err = p.str(v, label+": healthReason"); err != nil {
			return none, err
		}
	}
	if v := f.get("weight"); v != nil {
		if m.Weight, err = p.uint32(v, label+": weight", gslbv1.MaxWeight); err != nil {
			return none, err
		}
	}
	if v := f.get("priority"); v != nil {
		if m.Priority, err = p.uint32(v, label+": priority", 1<<32-1); err != nil {
			return none, err
		}
	}
	if v := f.get("health"); v != nil {
		if m.Health, err = enum(p, v, label+": health", healths); err != nil {
			return none, err
		}
	}
	info := memberInfo{member: m, node: n}
	if v := f.get("probePort"); v != nil {
		port, err := p.intRange(v, label+": probePort", 1, 65535)
		if err != nil {
			return none, err
		}
		info.probePort = uint16(port)
	}
	return info, nil
}

// memberLabel names a member in messages the way gslbv1.ValidateRecord does:
// "address in cluster" or "hostname in cluster".
func memberLabel(m *gslbv1.Member) string {
	s := m.Address
	if s == "" {
		s = m.Hostname
	}
	if m.Cluster != "" {
		s += " in " + m.Cluster
	}
	return strings.TrimSpace(s)
}

// canonicalise rewrites the names and addresses of a valid record in their
// canonical form, so that spelling alone ("LB.example.net" or "lb.example.net.")
// never shows as a change of the table.
func canonicalise(r *gslbv1.Record) {
	for i, f := range r.Fallback {
		if a, err := gslbv1.ParseAddress(f); err == nil {
			r.Fallback[i] = a.String()
		}
	}
	for _, m := range r.Members {
		if m.Address != "" {
			m.Address = gslbv1.MemberKey(m)
		}
		if m.Hostname != "" {
			if h, err := gslbv1.CanonicalName(m.Hostname); err == nil {
				m.Hostname = h
			}
		}
	}
}
