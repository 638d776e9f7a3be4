package table

// Drains: an operator's GSLBDrain (gslbctl drain) takes the members of one
// member cluster, or of one site, out of every answer without editing a
// policy. Build applies them after routing (drainRecord), when every member
// has its cluster and site.
//
// A drained member is served DOWN with the reason "drained by GSLBDrain
// NAME (WHO): REASON", not at weight 0: the plugin treats both alike (never
// chosen while another member is up; when none is, the record's
// downResponse applies, All serving every member again), but DOWN with a
// reason is what the policies' status (unhealthyMembers), gslbctl table and
// the plugin's member_healthy metric show, and the member keeps its weight,
// so nothing reads as if a policy had been edited. A drained member is
// still probed: undrained, it is served at once with the health its probes
// found meanwhile.

import (
	"slices"
	"strings"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"
)

// DrainReasonPrefix starts the health reason of every drained member.
const DrainReasonPrefix = "drained by "

// drainSet is the drains of one build: the reason by cluster (a site's
// drain included, for the clusters any accepted policy places in the site)
// and by site (for members that carry their site: third-party ones).
type drainSet struct {
	cluster map[string]string
	site    map[string]string
}

// compileDrains returns the drains in force. When several drains reach one
// cluster or site, the first by name gives the reason, a cluster's own
// drain before its site's.
func compileDrains(drains []*v1alpha1.GSLBDrain, accepted []*policy) drainSet {
	ds := drainSet{cluster: map[string]string{}, site: map[string]string{}}
	if len(drains) == 0 {
		return ds
	}
	byName := slices.Clone(drains)
	slices.SortFunc(byName, func(a, b *v1alpha1.GSLBDrain) int { return strings.Compare(a.Name, b.Name) })
	for _, d := range byName {
		switch {
		case d.Spec.Cluster != "":
			setOnce(ds.cluster, d.Spec.Cluster, drainReason(d))
		case d.Spec.Site != "":
			setOnce(ds.site, d.Spec.Site, drainReason(d))
		}
	}
	for _, p := range accepted {
		for _, s := range sitesOf(p.obj.Spec.Routing) {
			if why, ok := ds.site[s.Name]; ok {
				for _, c := range s.Clusters {
					setOnce(ds.cluster, c, why)
				}
			}
		}
	}
	return ds
}

func setOnce(m map[string]string, k, v string) {
	if _, ok := m[k]; !ok {
		m[k] = v
	}
}

// drainReason is the health reason of the members d drains.
func drainReason(d *v1alpha1.GSLBDrain) string {
	why := DrainReasonPrefix + "GSLBDrain " + d.Name
	if d.Spec.DrainedBy != "" {
		why += " (" + d.Spec.DrainedBy + ")"
	}
	if d.Spec.Reason != "" {
		why += ": " + d.Spec.Reason
	}
	return why
}

// reasonFor returns why m is drained, or "".
func (ds drainSet) reasonFor(m *gslbv1.Member) string {
	if m.Cluster != "" {
		if why, ok := ds.cluster[m.Cluster]; ok {
			return why
		}
	}
	if m.Site != "" {
		return ds.site[m.Site]
	}
	return ""
}

// drainRecord marks rec's drained members DOWN with the drain's reason.
func drainRecord(rec *gslbv1.Record, ds drainSet) {
	if len(ds.cluster) == 0 && len(ds.site) == 0 {
		return
	}
	for _, m := range rec.Members {
		if why := ds.reasonFor(m); why != "" {
			m.Health, m.HealthReason = gslbv1.Health_HEALTH_DOWN, why
		}
	}
}

// clusterNotes is what the status says about each cluster besides its
// state: the kinds an up cluster does not serve (no CRD), and why it is
// drained.
func clusterNotes(clusters []ClusterView, ds drainSet) map[string]string {
	notes := map[string]string{}
	for _, c := range clusters {
		if c.State == ClusterUp && len(c.Missing) > 0 {
			notes[c.Name] = notWatched(c.Missing)
		}
	}
	for name, why := range ds.cluster {
		notes[name] = withNote(notes[name], why)
	}
	return notes
}

// withNote adds note ("" for none) to a status message.
func withNote(msg, note string) string {
	switch {
	case note == "":
		return msg
	case msg == "":
		return note
	}
	return msg + "; " + note
}

// isDrained tells whether a member of the plugin's table is down by a drain.
func isDrained(m *gslbv1.Member) bool {
	return m.Health == gslbv1.Health_HEALTH_DOWN && strings.HasPrefix(m.HealthReason, DrainReasonPrefix)
}

// undrainedHealth is the health a member kept from the plugin's table
// starts with (see keptEntries): as served, except that a drain's mark is
// not kept, since the drains in force are applied again.
func undrainedHealth(m *gslbv1.Member) (gslbv1.Health, string) {
	if isDrained(m) {
		return gslbv1.Health_HEALTH_UNKNOWN, ""
	}
	return m.Health, m.HealthReason
}
