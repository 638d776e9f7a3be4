package gslbv1

import (
	"fmt"
	"slices"
	"strings"
)

// MaxChase is how many in-zone CNAME hops the plugin follows in one answer:
// a longer chain would be answered cut short, without an address.
const MaxChase = 8

// ValidateChains refuses CNAME loops and chains of more than MaxChase hops
// among a table's records. aliases maps each record that has hostname
// members (canonical fqdn) to their canonical targets; exists reports
// whether the table holds a name. A hop is a hostname whose target the
// table holds (the plugin follows it); any member may be chosen, so every
// hostname counts. The error names the records of the chain.
func ValidateChains(aliases map[string][]string, exists func(string) bool) error {
	// Only aliases with a target in the table start a chain (most aliases
	// point out of the zones): walk those, in order, so that the same table
	// always gets the same message.
	var names []string
	for n, targets := range aliases {
		if slices.ContainsFunc(targets, exists) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	c := chainCheck{aliases: aliases, exists: exists, depth: make(map[string]int, len(names))}
	for _, n := range names {
		if err := c.visit(n, nil); err != nil {
			return err
		}
	}
	return nil
}

// chainCheck is a depth-first walk that memoises, per alias, the longest
// chain of hops starting there.
type chainCheck struct {
	aliases map[string][]string
	exists  func(string) bool
	depth   map[string]int // done: the longest chain from the name; onPath: on the current path
}

const onPath = -1

// visit computes the longest chain from name, path being the chain that led
// there. The walk never goes deeper than MaxChase+1, so it stays shallow.
func (c *chainCheck) visit(name string, path []string) error {
	switch d, seen := c.depth[name]; {
	case seen && d == onPath:
		i := slices.Index(path, name)
		return fmt.Errorf("CNAME loop: %s", strings.Join(append(slices.Clone(path[i:]), name), " → "))
	case seen:
		if len(path)+d > MaxChase {
			return chainTooLong(append(path, name), d)
		}
		return nil
	}
	path = append(path, name)
	if len(path)-1 > MaxChase {
		return chainTooLong(path, 0)
	}
	c.depth[name] = onPath
	longest := 0
	for _, t := range c.aliases[name] {
		if !c.exists(t) {
			continue // out of the table: the resolver follows it
		}
		if _, alias := c.aliases[t]; !alias {
			longest = max(longest, 1)
			if len(path) > MaxChase {
				return chainTooLong(append(path, t), 0)
			}
			continue
		}
		if err := c.visit(t, path); err != nil {
			return err
		}
		longest = max(longest, 1+c.depth[t])
	}
	c.depth[name] = longest
	return nil
}

// chainTooLong describes a chain of records that goes on for rest more hops
// after its last name (and maybe further: the walk stops at the limit).
func chainTooLong(path []string, rest int) error {
	shown := strings.Join(path, " → ")
	if rest > 0 {
		shown += fmt.Sprintf(" → … (%d more)", rest)
	}
	return fmt.Errorf("CNAME chain of more than %d in-zone hops, the most an answer follows: %s", MaxChase, shown)
}

// HostnameTargets returns the canonical targets of a record's hostname
// members (the record must be valid).
func HostnameTargets(r *Record) []string {
	var ts []string
	for _, m := range r.GetMembers() {
		if h := m.GetHostname(); h != "" {
			t, _ := CanonicalName(h)
			ts = append(ts, t)
		}
	}
	return ts
}
