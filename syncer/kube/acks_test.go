package kube

import (
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/kube/table"
	"github.com/gslbdns/gslb/syncer/source"
)

// The acks follow each name server's acknowledgements of the table last
// published, whatever the order of Published and Acked (a plugin may ack
// before the sink hears of the table).
func TestAcks(t *testing.T) {
	s := NewControlPlane(Options{})
	tab := []*gslbv1.Record{{Fqdn: "hello."}}
	if v := s.pushed(); v.Records != nil || v.Settling(time.Now()) <= 0 {
		t.Fatalf("before any table: %+v, settling %v; want none, waiting", v, v.Settling(time.Now()))
	}
	s.Acked("unix:///b.sock", 1) // before Published
	s.Published(tab, []source.TargetGeneration{{Target: "unix:///a.sock", Generation: 1}, {Target: "unix:///b.sock", Generation: 1}})
	v := s.pushed()
	if v.Targets != 2 || v.Acknowledged() != 1 || len(v.Pending) != 1 || v.Pending[0] != "unix:///a.sock" {
		t.Fatalf("a Pending: %+v", v)
	}
	if d := v.Settling(v.Since.Add(time.Second)); d != table.AckWait-time.Second {
		t.Errorf("settling 1 s after the table: %v, want %v", d, table.AckWait-time.Second)
	}
	if d := v.Settling(v.Since.Add(table.AckWait)); d != 0 {
		t.Errorf("settling after table.AckWait: %v, want 0 (write that a has not acked)", d)
	}
	s.Acked("unix:///a.sock", 1)
	if v := s.pushed(); len(v.Pending) != 0 || v.Acknowledged() != 2 || v.Settling(v.Since) != 0 {
		t.Fatalf("both acked: %+v", v)
	}
	s.Published(tab, []source.TargetGeneration{{Target: "unix:///a.sock", Generation: 2}, {Target: "unix:///b.sock", Generation: 2}})
	s.Acked("unix:///b.sock", 1) // late, older: changes nothing
	if v := s.pushed(); len(v.Pending) != 2 {
		t.Fatalf("new table, none acked: %+v", v)
	}
}
