package filesource

// One record of a members file and its members, field by field.

import (
	"fmt"
	"strings"
	"unique"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/health"

	"go.yaml.in/yaml/v3"
)

// record builds the index-th record, with the checks of its members, from
// its node. firstLine maps the fqdns seen so far to the line that defined them.
func (p *parser) record(n *yaml.Node, index int, d defaults, firstLine map[string]int) (*gslbv1.Record, error) {
	var none *gslbv1.Record
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

	r := &gslbv1.Record{Fqdn: fqdn, Ttl: d.ttl, Algorithm: d.algorithm, DownResponse: d.downResponse, Origin: p.origin}
	if v := f.get("ttl"); v != nil {
		if r.Ttl, err = p.ttl(v, label+": ttl"); err != nil {
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
	var checks []*health.Check
	if c, ok := mergeChecks(d.check, own, fqdn); ok {
		if checks, err = p.recordChecks(c, infos, label, checkNode(d.check, own, n)); err != nil {
			return none, err
		}
	}
	health.WriteChecks(r.Members, checks)
	return r, nil
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
	// A few clusters and sites name the members of a large file: one copy each.
	m.Cluster, m.Site = unique.Make(m.Cluster).Value(), unique.Make(m.Site).Value()
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
