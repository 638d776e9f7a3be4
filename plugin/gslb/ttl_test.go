package gslb

import (
	"testing"

	"github.com/miekg/dns"
	"google.golang.org/protobuf/proto"
)

// A record's ttl 0 is served as 0 (an operator defeating caching), a ttl
// left out as the server block's default (30 here), any other as it is; a
// CNAME chain carries each hop's own.
func TestRecordTTLZeroServedAsZero(t *testing.T) {
	g := newTestGSLB(t, testConfig(), nil)
	zero, unset, five := rec("zero.avi.iberia.local", mem("192.0.2.1", 1)), rec("unset.avi.iberia.local", mem("192.0.2.2", 1)), rec("five.avi.iberia.local", host("zero.avi.iberia.local", 1))
	zero.Ttl, five.Ttl = proto.Uint32(0), proto.Uint32(5)
	full(t, g, zero, unset, five)
	for _, tc := range []struct {
		name string
		want []uint32
	}{
		{"zero.avi.iberia.local.", []uint32{0}},
		{"unset.avi.iberia.local.", []uint32{30}},
		{"five.avi.iberia.local.", []uint32{5, 0}},
	} {
		m := new(dns.Msg)
		m.SetQuestion(tc.name, dns.TypeA)
		resp, _ := serve(t, g, m)
		if resp == nil || len(resp.Answer) != len(tc.want) {
			t.Fatalf("%s: %v", tc.name, resp)
		}
		for i, rr := range resp.Answer {
			if rr.Header().Ttl != tc.want[i] {
				t.Errorf("%s: answer %d has TTL %d, want %d", tc.name, i, rr.Header().Ttl, tc.want[i])
			}
		}
	}
}
