package table

import (
	"fmt"
	"slices"
	"strings"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"
	"github.com/gslbdns/gslb/syncer/health"

	"google.golang.org/protobuf/proto"
)

// A partial view never erases the last good table. At start-up the syncer
// reads the table the plugin serves (the seed) and keeps, for every source
// that has not synced yet, what the plugin served for it:
//   - the config cluster owns the records (their FQDNs and settings come
//     from its policies): until it has synced, the table is the seed's
//     records, marked stale (keptTable);
//   - a member cluster owns the members whose cluster it is: until it has
//     synced, its members of the seed stand for its objects (ClusterView.Kept),
//     with the grace period of an unreachable cluster counted from when it
//     was last seen: the stale mark the seed carries, else the seed itself.
// A member kept that way is still probed (with the policy's check, on the
// check's port, else the port the table carries for it, else the default
// one), so a dead one still leaves. Records kept while the config cluster
// has not synced are probed with the checks the table carries for their
// members (Member.check, written by every push): without the policies,
// those are the checks they had.

// Reasons shown in the stale marks.
const (
	ReasonConfigNotSynced  = "config cluster not synced since the syncer started: records kept as the plugin served them"
	reasonClusterNotSynced = "cluster %s not synced since the syncer started: members kept as the plugin served them, for the grace period from last seen"
	reasonUnreachable      = "cluster %s unreachable: last-known members kept for the grace period"
	reasonExpiredKept      = "cluster %s unreachable past the grace period: members kept, no other member left"
)

// staleOf is the stale mark of a member of cv (nil when cv is up).
func staleOf(cv *ClusterView) *gslbv1.Stale {
	var why string
	switch {
	case cv.State == ClusterUp:
		return nil
	case cv.State == ClusterExpired:
		why = fmt.Sprintf(reasonExpiredKept, cv.Name)
	case cv.Kept != nil:
		why = fmt.Sprintf(reasonClusterNotSynced, cv.Name)
	default:
		why = fmt.Sprintf(reasonUnreachable, cv.Name)
	}
	return &gslbv1.Stale{SinceUnixNano: cv.Since.UnixNano(), Reason: why}
}

// keptFQDNs returns the FQDNs that clusters not yet synced keep members
// for, each with the policy that serves it: the oldest accepted policy
// that selects one of those clusters (the table does not say which
// policy served a record; with one policy per cluster this is exact).
func keptFQDNs(accepted []*policy, in Input, known map[string]int) map[string]int {
	out := map[string]int{}
	for pi, p := range accepted {
		for _, cname := range p.clusters {
			for f := range in.Clusters[known[cname]].Kept {
				if _, taken := out[f]; !taken && inZones(f, in.Zones) {
					out[f] = pi
				}
			}
		}
	}
	return out
}

// KeptEntries are cv's kept members of fqdn with the weight and priority
// of split, probed with check when probed (on the port the table carries
// when check names none) (their health starts unknown:
// the prober seeds it from the plugin's table), else with the health they
// were served with.
func KeptEntries(cv *ClusterView, fqdn string, split map[string]v1alpha1.TrafficSplit, check health.Check, probed bool) []entry {
	kept := cv.Kept[fqdn]
	if len(kept) == 0 {
		return nil
	}
	w, prio := uint32(1), uint32(0)
	if ts, ok := split[cv.Name]; ok {
		w, prio = uint32(ts.Weight), uint32(ts.Priority)
	}
	out := make([]entry, 0, len(kept))
	for _, k := range kept {
		m := &gslbv1.Member{Address: k.Address, Hostname: k.Hostname, Weight: w, Priority: prio, Cluster: cv.Name, Site: k.Site, Stale: staleOf(cv)}
		m.Health, m.HealthReason = undrainedHealth(k)
		e := entry{m: m}
		if probed && m.Address != "" {
			e.check = memberCheck(check, uint16(k.GetCheck().GetPort()), fqdn) // the object's port, as the table carries it
			// A DOWN by readiness stays (sourcedown.go); any other starts over.
			if !downBySource(k) {
				m.Health, m.HealthReason = gslbv1.Health_HEALTH_UNKNOWN, ""
			}
		}
		out = append(out, e)
	}
	return out
}

// SeedClusters splits a seed by member cluster: each cluster's members by
// FQDN, and when it was last seen (the earliest stale mark of its members,
// else at: the seed's time).
func SeedClusters(seed []*gslbv1.Record, at time.Time) map[string]*KeptCluster {
	out := map[string]*KeptCluster{}
	for _, r := range seed {
		for _, m := range r.Members {
			if m.Cluster == "" {
				continue
			}
			kc := out[m.Cluster]
			if kc == nil {
				kc = &KeptCluster{Members: map[string][]*gslbv1.Member{}, LastSeen: at}
				out[m.Cluster] = kc
			}
			kc.Members[r.Fqdn] = append(kc.Members[r.Fqdn], m)
			if s := m.GetStale(); s != nil && s.SinceUnixNano > 0 && s.SinceUnixNano < kc.LastSeen.UnixNano() {
				kc.LastSeen = time.Unix(0, s.SinceUnixNano)
			}
		}
	}
	return out
}

// KeptCluster is what the seed holds of one member cluster.
type KeptCluster struct {
	Members  map[string][]*gslbv1.Member // by FQDN
	LastSeen time.Time
}

// KeptTable is the seed as the table of a source whose config cluster has
// not synced: every record kept, marked stale since at (or since the mark
// it already had: a second restart keeps the first time), its members
// probed with the checks the seed carries (Member.check).
func KeptTable(seed []*gslbv1.Record, at time.Time) []*gslbv1.Record {
	out := make([]*gslbv1.Record, len(seed))
	for i, r := range seed {
		c := proto.CloneOf(r)
		if c.Stale == nil {
			c.Stale = &gslbv1.Stale{SinceUnixNano: at.UnixNano(), Reason: ReasonConfigNotSynced}
		}
		out[i] = probeCarried(c)
	}
	slices.SortFunc(out, func(a, b *gslbv1.Record) int { return strings.Compare(a.Fqdn, b.Fqdn) })
	return out
}

// probeCarried is a kept record with the checks its members carry: those
// are probed, starting UNKNOWN as in keptEntries (the prober seeds their
// targets from the health the plugin served: a DOWN left as the source's
// would be an administrative override, never lifted by the probes). A
// drained member stays down: the drains are the config cluster's; so does a
// member down by its source's readiness (sourcedown.go).
func probeCarried(r *gslbv1.Record) *gslbv1.Record {
	for _, m := range r.Members {
		if health.MemberCheck(m) == nil || isDrained(m) || downBySource(m) {
			continue
		}
		m.Health, m.HealthReason = gslbv1.Health_HEALTH_UNKNOWN, ""
	}
	return r
}
