package kube

import (
	"log/slog"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
)

// logStaleEnd logs that an owner ("config" or a member cluster) keeps
// nothing stale any more, and why: it is seen again (its records or members
// are in the table, no longer stale), or what it kept was dropped (a
// cluster unreachable past the grace period, or no longer configured),
// which is not the same news for an operator.
func logStaleEnd(log *slog.Logger, owner string, recs []*gslbv1.Record) {
	if ownerInTable(owner, recs) {
		log.Info("nothing kept stale any more: its owner is seen again", "owner", owner)
		return
	}
	log.Warn("nothing kept stale any more: what its owner kept was dropped (unreachable past the grace period, or no longer configured)", "owner", owner)
}

// ownerInTable reports whether the owner has anything in the table: any
// record for "config", else a member of that cluster.
func ownerInTable(owner string, recs []*gslbv1.Record) bool {
	if owner == "config" {
		return len(recs) > 0
	}
	for _, r := range recs {
		for _, m := range r.GetMembers() {
			if m.GetCluster() == owner {
				return true
			}
		}
	}
	return false
}
