package gslb

import (
	"fmt"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
)

// A record at a zone apex is merged with the Corefile's apex data: its
// addresses answer A and AAAA, while SOA and NS (and glue) still come from
// the Corefile (see ServeDNS). A hostname member cannot be merged: it answers
// with a CNAME, and a CNAME may not stand beside the apex SOA and NS (RFC 2181
// section 10.1), so such a record is refused at push.

// checkApex refuses a record at the apex of one of the feed's zones that has
// a hostname member. Callers hold f.mu.
func (f *feed) checkApex(name string, r *gslbv1.Record) error {
	if _, apex := f.zones[name]; !apex {
		return nil
	}
	if ts := gslbv1.HostnameTargets(r); len(ts) > 0 {
		return fmt.Errorf("record %q is the apex of its zone: hostname member %q would answer a CNAME beside the zone's SOA and NS (RFC 2181 section 10.1); give the apex address members only", name, ts[0])
	}
	return nil
}
