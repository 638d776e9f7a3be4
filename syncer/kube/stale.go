package kube

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
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
	reasonConfigNotSynced  = "config cluster not synced since the syncer started: records kept as the plugin served them"
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

// keptEntries are cv's kept members of fqdn with the weight and priority
// of split, probed with check when probed (on the port the table carries
// when check names none) (their health starts unknown:
// the prober seeds it from the plugin's table), else with the health they
// were served with.
func keptEntries(cv *ClusterView, fqdn string, split map[string]v1alpha1.TrafficSplit, check health.Check, probed bool) []entry {
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

// seedClusters splits a seed by member cluster: each cluster's members by
// FQDN, and when it was last seen (the earliest stale mark of its members,
// else at: the seed's time).
func seedClusters(seed []*gslbv1.Record, at time.Time) map[string]*keptCluster {
	out := map[string]*keptCluster{}
	for _, r := range seed {
		for _, m := range r.Members {
			if m.Cluster == "" {
				continue
			}
			kc := out[m.Cluster]
			if kc == nil {
				kc = &keptCluster{members: map[string][]*gslbv1.Member{}, lastSeen: at}
				out[m.Cluster] = kc
			}
			kc.members[r.Fqdn] = append(kc.members[r.Fqdn], m)
			if s := m.GetStale(); s != nil && s.SinceUnixNano > 0 && s.SinceUnixNano < kc.lastSeen.UnixNano() {
				kc.lastSeen = time.Unix(0, s.SinceUnixNano)
			}
		}
	}
	return out
}

// keptCluster is what the seed holds of one member cluster.
type keptCluster struct {
	members  map[string][]*gslbv1.Member // by FQDN
	lastSeen time.Time
}

// keptTable is the seed as the table of a source whose config cluster has
// not synced: every record kept, marked stale since at (or since the mark
// it already had: a second restart keeps the first time), its members
// probed with the checks the seed carries (Member.check).
func keptTable(seed []*gslbv1.Record, at time.Time) []health.Record {
	out := make([]health.Record, len(seed))
	for i, r := range seed {
		c := proto.CloneOf(r)
		if c.Stale == nil {
			c.Stale = &gslbv1.Stale{SinceUnixNano: at.UnixNano(), Reason: reasonConfigNotSynced}
		}
		out[i] = probeCarried(c)
	}
	slices.SortFunc(out, func(a, b health.Record) int { return strings.Compare(a.Record.Fqdn, b.Record.Fqdn) })
	return out
}

// probeCarried is a kept record with the checks its members carry: those
// are probed, starting UNKNOWN as in keptEntries (the prober seeds their
// targets from the health the plugin served: a DOWN left as the source's
// would be an administrative override, never lifted by the probes). A
// drained member stays down: the drains are the config cluster's; so does a
// member down by its source's readiness (sourcedown.go).
func probeCarried(r *gslbv1.Record) health.Record {
	hr := health.Carried(r)
	for j, c := range hr.Checks {
		m := r.Members[j]
		if c == nil || isDrained(m) || downBySource(m) { // sourcedown.go
			continue
		}
		m.Health, m.HealthReason = gslbv1.Health_HEALTH_UNKNOWN, ""
	}
	return hr
}

// staleLog reports what is kept without being seen, by owner ("config",
// or a member cluster's name): in the log when it starts, changes since or
// ends, and in the metrics at every full build.
type staleLog struct {
	mu   sync.Mutex
	last map[string]staleCount
}

// staleCount is what one source has kept stale.
type staleCount struct {
	n      int // records (config) or members (a cluster)
	since  int64
	reason string
}

func countStale(recs []health.Record) map[string]staleCount {
	out := map[string]staleCount{}
	add := func(src string, st *gslbv1.Stale) {
		c := out[src]
		if c.n == 0 || st.SinceUnixNano < c.since {
			c.since, c.reason = st.SinceUnixNano, st.Reason
		}
		c.n++
		out[src] = c
	}
	for _, r := range recs {
		if st := r.Record.GetStale(); st != nil {
			add("config", st)
			continue // its members are kept with it
		}
		for _, m := range r.Record.Members {
			if st := m.GetStale(); st != nil {
				add(m.Cluster, st)
			}
		}
	}
	return out
}

func (l *staleLog) report(log *slog.Logger, m *metrics, recs []health.Record) {
	now := countStale(recs)
	l.mu.Lock()
	defer l.mu.Unlock()
	m.stale.Reset()
	m.staleSince.Reset()
	for src, c := range now {
		m.stale.WithLabelValues(src).Set(float64(c.n))
		m.staleSince.WithLabelValues(src).Set(float64(c.since) / 1e9)
		if old, ok := l.last[src]; !ok || old.since != c.since || old.reason != c.reason {
			what := "members"
			if src == "config" {
				what = "records"
			}
			log.Warn("keeping what the syncer cannot see now", "owner", src, what, c.n,
				"since", time.Unix(0, c.since).UTC().Format(time.RFC3339), "reason", c.reason)
		}
	}
	for src := range l.last {
		if _, ok := now[src]; !ok {
			logStaleEnd(log, src, recs)
		}
	}
	l.last = now
}
