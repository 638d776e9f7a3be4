package push

import (
	"slices"
	"testing"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
)

func record(fqdn string, weights ...uint32) *gslbv1.Record {
	r := &gslbv1.Record{Fqdn: fqdn}
	for i, w := range weights {
		r.Members = append(r.Members, &gslbv1.Member{Address: "10.0.0." + string(rune('1'+i)), Weight: w})
	}
	return r
}

func fqdns(recs []*gslbv1.Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r.GetFqdn())
	}
	return out
}

func TestDiff(t *testing.T) {
	acked := index([]*gslbv1.Record{record("a.", 1), record("b.", 1, 2), record("c.", 3), record("d.")})
	tests := []struct {
		name        string
		desired     []*gslbv1.Record
		wantUpserts []string
		wantDeletes []string
	}{
		{"same content, other pointers", []*gslbv1.Record{record("a.", 1), record("b.", 1, 2), record("c.", 3), record("d.")}, nil, nil},
		{"one weight changed", []*gslbv1.Record{record("a.", 1), record("b.", 1, 5), record("c.", 3), record("d.")}, []string{"b."}, nil},
		{"member added", []*gslbv1.Record{record("a.", 1, 1), record("b.", 1, 2), record("c.", 3), record("d.")}, []string{"a."}, nil},
		{"added and removed", []*gslbv1.Record{record("a.", 1), record("b.", 1, 2), record("e.")}, []string{"e."}, []string{"c.", "d."}},
		{"empty", nil, nil, []string{"a.", "b.", "c.", "d."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up, del := diff(acked, tt.desired)
			if got := fqdns(up); !slices.Equal(got, tt.wantUpserts) {
				t.Errorf("upserts %v, want %v", got, tt.wantUpserts)
			}
			if !slices.Equal(del, tt.wantDeletes) {
				t.Errorf("deletes %v, want %v", del, tt.wantDeletes)
			}
		})
	}
}

func TestDiffFromNothing(t *testing.T) {
	desired := []*gslbv1.Record{record("a.", 1), record("b.", 1)}
	up, del := diff(nil, desired)
	if len(up) != 2 || len(del) != 0 {
		t.Errorf("diff from nothing: %d upserts, %d deletes; want 2, 0", len(up), len(del))
	}
}
