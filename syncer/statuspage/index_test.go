package statuspage

import (
	"testing"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"google.golang.org/protobuf/proto"
)

// A new generation of the same names reuses the order with the new
// records; a renamed or added record sorts again.
func TestIndexNewGeneration(t *testing.T) {
	var c indexCache
	tab := fixedTable{gen: 1, recs: []*gslbv1.Record{{Fqdn: "b."}, {Fqdn: "a."}, {Fqdn: "c."}}}
	c.get(tab)
	next := fixedTable{gen: 2, recs: []*gslbv1.Record{{Fqdn: "b.", Ttl: proto.Uint32(2)}, {Fqdn: "a.", Ttl: proto.Uint32(1)}, {Fqdn: "c.", Ttl: proto.Uint32(3)}}}
	ix := c.get(next)
	if ix.generation != 2 || ix.records[0].GetTtl() != 1 || ix.records[1].GetTtl() != 2 || ix.records[2].GetTtl() != 3 {
		t.Errorf("same names: %v", ix.records)
	}
	renamed := fixedTable{gen: 3, recs: []*gslbv1.Record{{Fqdn: "b."}, {Fqdn: "d."}, {Fqdn: "c."}}}
	if ix := c.get(renamed); ix.names[0] != "b" || ix.names[2] != "d" || ix.find("d.") == nil || ix.find("a.") != nil {
		t.Errorf("renamed: %v", ix.names)
	}
}
