package push

import (
	"fmt"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// maxMessage is gRPC's default limit on a received message, which the plugin
// is assumed to keep: a record that does not fit in it alone cannot be sent.
const maxMessage = 4 << 20

// headerRoom is more than the header and framing of a chunk take.
const headerRoom = 64

// Field numbers of ApplyChunk, for the size of its repeated fields.
const (
	upsertsField protowire.Number = 2
	deletesField protowire.Number = 3
)

// chunks splits one apply into ApplyChunk messages: the first carries the
// header, and a new one starts when the current one would grow beyond
// maxBytes (as proto.Size counts it) or hold maxRecords upserts and deletes.
// A single record larger than that goes alone in its chunk, if it fits in a
// gRPC message at all; otherwise chunks fails, naming it.
func chunks(h *gslbv1.ApplyHeader, upserts []*gslbv1.Record, deletes []string, maxBytes, maxRecords int) ([]*gslbv1.ApplyChunk, error) {
	cur := &gslbv1.ApplyChunk{Header: h}
	out := []*gslbv1.ApplyChunk{cur}
	size, count := proto.Size(cur), 0
	// add makes room for a field of n bytes.
	add := func(n int) {
		if count > 0 && (size+n > maxBytes || count >= maxRecords) {
			cur = &gslbv1.ApplyChunk{}
			out = append(out, cur)
			size, count = 0, 0
		}
		size += n
		count++
	}
	for _, r := range upserts {
		n := protowire.SizeTag(upsertsField) + protowire.SizeBytes(proto.Size(r))
		if n > maxMessage-headerRoom {
			return nil, fmt.Errorf("record %q takes %d bytes, more than a gRPC message may (%d)", r.GetFqdn(), n, maxMessage)
		}
		add(n)
		cur.Upserts = append(cur.Upserts, r)
	}
	for _, d := range deletes {
		add(protowire.SizeTag(deletesField) + protowire.SizeBytes(len(d)))
		cur.Deletes = append(cur.Deletes, d)
	}
	return out, nil
}
