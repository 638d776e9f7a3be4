package health

import gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"

// Seed starts targets at the health that served shows: the table a plugin
// serves, as a previous syncer left it. Without it every target starts
// UNKNOWN, which is served, so that a restart would bring a dead member back
// into the answers until fall probes had failed again; seeded, a member
// that was DOWN stays DOWN until rise probes pass, and one that was UP stays
// UP until fall probes fail.
//
// A target is seeded from a member of served when the current table (the
// last Update) has a record of the same fqdn whose member of the same
// address is probed by it, and
//
//   - the served member is UP or DOWN (UNKNOWN tells nothing);
//   - the source does not mark the member DOWN itself (an administrative
//     override: the plugin's DOWN then says nothing of the probes);
//   - the target has no result of its own yet, and was not seeded already
//     (a target shared by several records that disagree is seeded DOWN).
//
// The health reason comes along, and goes to the decisions' watchers (the
// followers of a probe leader that came before the seed). Everything else
// in served is ignored.
// Seed is meant to be called after the first Update and before Run; it
// returns how many targets it seeded.
func (p *Prober) Seed(served []*gslbv1.Record) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	byFqdn := make(map[string]int, len(p.records))
	for i, spec := range p.records {
		if spec.targets != nil {
			byFqdn[spec.rec.GetFqdn()] = i
		}
	}
	seeded := map[*target]bool{}
	for _, r := range served {
		i, ok := byFqdn[r.GetFqdn()]
		if !ok {
			continue
		}
		spec := p.records[i]
		for _, m := range r.GetMembers() {
			h := m.GetHealth()
			if m.GetAddress() == "" || (h != gslbv1.Health_HEALTH_UP && h != gslbv1.Health_HEALTH_DOWN) {
				continue
			}
			for j, own := range spec.rec.GetMembers() {
				t := spec.targets[j]
				if t == nil || own.GetAddress() != m.GetAddress() || own.GetHealth() == gslbv1.Health_HEALTH_DOWN || t.probed {
					continue
				}
				if t.st.health != gslbv1.Health_HEALTH_UNKNOWN && !(seeded[t] && h == gslbv1.Health_HEALTH_DOWN) {
					continue
				}
				t.st, t.since = state{health: h, reason: m.GetHealthReason()}, p.opts.Clock.Now()
				seeded[t] = true
			}
		}
	}
	for t := range seeded {
		p.markDirtyLocked(t)
		p.notifyLocked(t) // a site's probe leader: its followers take the seeded health too
	}
	if len(seeded) > 0 {
		kick(p.kickEmit)
	}
	return len(seeded)
}
