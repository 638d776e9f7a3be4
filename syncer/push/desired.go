package push

import gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"

// Desired returns the table last given to Update (the one this Pusher
// pushes, read-only: the records are never changed in place) and its
// generation; ok is false before the first Update. The status page
// (syncer/statuspage) shows it.
func (p *Pusher) Desired() (records []*gslbv1.Record, generation uint64, ok bool) {
	return p.desiredTable()
}
