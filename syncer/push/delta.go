package push

import (
	"slices"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"google.golang.org/protobuf/proto"
)

// diff returns what turns the acked table into desired: the records of
// desired that are new or changed (by proto.Equal), and the fqdns of acked
// that desired lacks, sorted.
func diff(acked map[string]*gslbv1.Record, desired []*gslbv1.Record) (upserts []*gslbv1.Record, deletes []string) {
	keep := make(map[string]bool, len(desired))
	for _, r := range desired {
		keep[r.GetFqdn()] = true
		if old, ok := acked[r.GetFqdn()]; !ok || !proto.Equal(old, r) {
			upserts = append(upserts, r)
		}
	}
	for fqdn := range acked {
		if !keep[fqdn] {
			deletes = append(deletes, fqdn)
		}
	}
	slices.Sort(deletes)
	return upserts, deletes
}

// index maps the records by fqdn.
func index(records []*gslbv1.Record) map[string]*gslbv1.Record {
	m := make(map[string]*gslbv1.Record, len(records))
	for _, r := range records {
		m[r.GetFqdn()] = r
	}
	return m
}
