package statuspage

// From the table's records to the page's.

import (
	"strings"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/health"
)

// record converts r, the health's since-when read from since (nil: none).
func record(r *gslbv1.Record, since func(addr string) time.Time) Record {
	out := Record{
		FQDN:         r.GetFqdn(),
		TTL:          r.GetTtl(),
		Algorithm:    enumWord(r.GetAlgorithm().String(), "ALGORITHM_", "wrr"),
		DownResponse: enumWord(r.GetDownResponse().String(), "DOWN_RESPONSE_", "all"),
		Origin:       r.GetOrigin(),
		Stale:        stale(r.GetStale()),
		Members:      make([]Member, len(r.GetMembers())),
	}
	best, any := bestPriority(r.GetMembers())
	for i, m := range r.GetMembers() {
		mm := Member{
			Address: m.GetAddress(), Hostname: m.GetHostname(), Cluster: m.GetCluster(), Site: m.GetSite(),
			Weight: m.GetWeight(), Priority: m.GetPriority(), Health: healthWord(m.GetHealth()),
			Reason: m.GetHealthReason(), Drained: drained(m), Stale: stale(m.GetStale()),
		}
		if since != nil && mm.Address != "" {
			mm.Since = since(mm.Address)
		}
		if any && serves(m) && m.GetPriority() == best {
			mm.EffectiveWeight = m.GetWeight()
		}
		out.Members[i] = mm
	}
	return out
}

// serves tells whether a member may be answered: weighted and not down.
func serves(m *gslbv1.Member) bool {
	return m.GetWeight() > 0 && m.GetHealth() != gslbv1.Health_HEALTH_DOWN
}

// bestPriority is the highest priority with a member that serves (the
// plugin's rule); ok false when none serves (the down response applies).
func bestPriority(ms []*gslbv1.Member) (best uint32, ok bool) {
	for _, m := range ms {
		if serves(m) && (!ok || m.GetPriority() > best) {
			best, ok = m.GetPriority(), true
		}
	}
	return best, ok
}

// drained tells a member taken out by a drain (the file's drained: or a
// GSLBDrain), which the sources say in the reason.
func drained(m *gslbv1.Member) bool {
	return m.GetHealth() == gslbv1.Health_HEALTH_DOWN && strings.HasPrefix(m.GetHealthReason(), "drained ")
}

func stale(s *gslbv1.Stale) *Stale {
	if s == nil {
		return nil
	}
	return &Stale{Since: time.Unix(0, s.GetSinceUnixNano()).UTC(), Reason: s.GetReason()}
}

func healthWord(h gslbv1.Health) string { return strings.ToLower(health.Name(h)) }

// enumWord is an enum's name without its prefix, in lower case; def for
// the unspecified value.
func enumWord(name, prefix, def string) string {
	w := strings.ToLower(strings.TrimPrefix(name, prefix))
	if w == "unspecified" {
		return def
	}
	return w
}

// memberName is how the plugin's metrics name a member.
func memberName(m Member) string {
	if m.Address != "" {
		return m.Address
	}
	return m.Hostname
}

// withAnswers sets each member's answers in the last interval of hist,
// when the record had any.
func withAnswers(r *Record, hist []Interval) {
	if len(hist) == 0 {
		return
	}
	last := hist[len(hist)-1].Counts
	sum := total(last)
	if sum == 0 { // no answers in the interval: no share to show
		return
	}
	for i := range r.Members {
		r.Members[i].Answers = &MemberAnswers{Count: last[i], Share: float64(last[i]) / float64(sum)}
	}
}

// keysOf returns the answers series of r's members.
func keysOf(r Record) []string {
	keys := make([]string, len(r.Members))
	for i, m := range r.Members {
		keys[i] = seriesKey(r.FQDN, memberName(m))
	}
	return keys
}
