package filesource

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"go.yaml.in/yaml/v3"
)

// This file holds the helpers that read one YAML node as a field of the
// members file: mappings with known keys, strings, numbers and enums.

// field is one key and its value in a mapping.
type field struct {
	key, value *yaml.Node
}

// fieldSet holds the fields of a mapping and the first problem with its keys
// (an unknown or repeated key). The problem is reported by problem() once the
// caller knows how to name the mapping in the message.
type fieldSet struct {
	fields     []field // the known keys, each once, in file order (a few: a slice beats a map)
	badKey     *yaml.Node
	badKeyText string
}

// fields collects the fields of the mapping n; allowed lists the valid keys.
func (p *parser) fields(n *yaml.Node, allowed []string) (*fieldSet, error) {
	f := &fieldSet{fields: make([]field, 0, len(n.Content)/2)}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if err := p.noAlias(k); err != nil {
			return nil, err
		}
		if err := p.noAlias(v); err != nil {
			return nil, err
		}
		switch prev, dup := f.lookup(k.Value); {
		case k.Kind != yaml.ScalarNode:
			f.keyProblem(k, fmt.Sprintf("a key must be a name, got %s", describe(k)))
		case dup:
			f.keyProblem(k, fmt.Sprintf("duplicate key %q, first at line %d", k.Value, prev.key.Line))
		case !slices.Contains(allowed, k.Value):
			f.keyProblem(k, fmt.Sprintf("unknown key %q (want %s)", k.Value, strings.Join(allowed, ", ")))
		default:
			f.fields = append(f.fields, field{key: k, value: v})
		}
	}
	return f, nil
}

// keyProblem remembers the first problem with a key.
func (f *fieldSet) keyProblem(k *yaml.Node, text string) {
	if f.badKey == nil {
		f.badKey, f.badKeyText = k, text
	}
}

// lookup returns the field of key.
func (f *fieldSet) lookup(key string) (field, bool) {
	for _, fl := range f.fields {
		if fl.key.Value == key {
			return fl, true
		}
	}
	return field{}, false
}

// get returns the value of key, or nil when it is missing or null: an
// explicit null ("ttl:" or "ttl: ~") means the same as leaving the key out.
func (f *fieldSet) get(key string) *yaml.Node {
	if fl, ok := f.lookup(key); ok && !isNull(fl.value) {
		return fl.value
	}
	return nil
}

// problem returns the first problem with the keys, naming the mapping by label.
func (f *fieldSet) problem(p *parser, label string) error {
	if f.badKey == nil {
		return nil
	}
	if label == "" {
		return p.errorf(f.badKey, "%s", f.badKeyText)
	}
	return p.errorf(f.badKey, "%s: %s", label, f.badKeyText)
}

// noAlias refuses YAML aliases (*name): expanding them could turn a small
// file into a huge table, and "defaults" covers the common use.
func (p *parser) noAlias(n *yaml.Node) error {
	if n.Kind == yaml.AliasNode {
		return p.errorf(n, "aliases (*%s) are not supported", n.Value)
	}
	return nil
}

func isNull(n *yaml.Node) bool {
	return n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// describe says what kind of node n is, for messages.
func describe(n *yaml.Node) string {
	switch {
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case isNull(n):
		return "nothing"
	default:
		return scalarText(n)
	}
}

// scalarText shows a scalar as written: strings quoted, other values bare.
func scalarText(n *yaml.Node) string {
	if n.ShortTag() == "!!str" {
		return fmt.Sprintf("%q", n.Value)
	}
	return n.Value
}

// str reads a scalar as a string; what names the field in messages.
func (p *parser) str(n *yaml.Node, what string) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", p.errorf(n, "%s must be a string, got %s", what, describe(n))
	}
	return n.Value, nil
}

// strings reads a list of strings.
func (p *parser) strings(n *yaml.Node, what string) ([]string, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, p.errorf(n, "%s must be a list, got %s", what, describe(n))
	}
	out := make([]string, 0, len(n.Content))
	for i, item := range n.Content {
		if err := p.noAlias(item); err != nil {
			return nil, err
		}
		s, err := p.str(item, fmt.Sprintf("%s item %d", what, i+1))
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// integerLike matches the integers that YAML resolves as floats because they
// do not fit in 64 bits.
var integerLike = regexp.MustCompile(`^[-+]?[0-9_]+$`)

// uint32 reads a whole number between 0 and max.
func (p *parser) uint32(n *yaml.Node, what string, max uint32) (uint32, error) {
	outOfRange := func() error {
		return p.errorf(n, "%s %s must be between 0 and %d", what, n.Value, max)
	}
	if n.Kind != yaml.ScalarNode {
		return 0, p.errorf(n, "%s must be a whole number, got %s", what, describe(n))
	}
	switch n.ShortTag() {
	case "!!int":
		var v int64
		if err := n.Decode(&v); err != nil || v < 0 || v > int64(max) {
			return 0, outOfRange()
		}
		return uint32(v), nil
	case "!!float":
		if integerLike.MatchString(n.Value) {
			return 0, outOfRange()
		}
	}
	return 0, p.errorf(n, "%s %s is not a whole number", what, scalarText(n))
}

// enumValue is a name in the file and the value it stands for.
type enumValue[E any] struct {
	name  string
	value E
}

var (
	algorithms = []enumValue[gslbv1.Algorithm]{
		{"wrr", gslbv1.Algorithm_ALGORITHM_WRR},
		{"random", gslbv1.Algorithm_ALGORITHM_RANDOM},
		{"topology", gslbv1.Algorithm_ALGORITHM_TOPOLOGY},
		{"geo", gslbv1.Algorithm_ALGORITHM_GEO},
		{"consistentHash", gslbv1.Algorithm_ALGORITHM_CONSISTENT_HASH},
	}
	downResponses = []enumValue[gslbv1.DownResponse]{
		{"all", gslbv1.DownResponse_DOWN_RESPONSE_ALL},
		{"fallback", gslbv1.DownResponse_DOWN_RESPONSE_FALLBACK},
		{"empty", gslbv1.DownResponse_DOWN_RESPONSE_EMPTY},
		{"servfail", gslbv1.DownResponse_DOWN_RESPONSE_SERVFAIL},
	}
	healths = []enumValue[gslbv1.Health]{
		{"up", gslbv1.Health_HEALTH_UP},
		{"down", gslbv1.Health_HEALTH_DOWN},
		{"unknown", gslbv1.Health_HEALTH_UNKNOWN},
	}
)

// enum reads one of the names in values (case-insensitively).
func enum[E any](p *parser, n *yaml.Node, what string, values []enumValue[E]) (E, error) {
	var zero E
	names := make([]string, len(values))
	for i, v := range values {
		names[i] = v.name
	}
	if n.Kind != yaml.ScalarNode {
		return zero, p.errorf(n, "%s must be one of %s, got %s", what, strings.Join(names, ", "), describe(n))
	}
	for _, v := range values {
		if strings.EqualFold(n.Value, v.name) {
			return v.value, nil
		}
	}
	return zero, p.errorf(n, "%s %s is not one of %s", what, scalarText(n), strings.Join(names, ", "))
}
