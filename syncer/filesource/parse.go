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
//	drained: {clusters: [s1az1], sites: [site2]}   # optional: out of every answer (drain.go)
package filesource

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
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
// by fqdn, each probed member carrying its health check (Member.check).
// The first problem found is returned as a *ParseError.
func Parse(name string, data []byte) ([]*gslbv1.Record, error) {
	p := newParser(name)
	if recs, err := p.streamed(data); !errors.Is(err, errWhole) {
		return recs, err
	}
	return p.whole(data)
}

// whole parses the file from the node tree of the whole document. A large
// file is read by batches of records instead (stream.go), with the same
// result.
func (p *parser) whole(data []byte) ([]*gslbv1.Record, error) {
	root, err := p.document(data)
	if err != nil {
		return nil, err
	}
	return p.table(root)
}

type parser struct {
	file   string
	origin string           // of every record: "file " + file
	v      gslbv1.Validator // each distinct routing is validated once
}

func newParser(file string) *parser {
	return &parser{file: file, origin: "file " + file}
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
