package table

import (
	"slices"
	"testing"
)

func TestBackendsOf(t *testing.T) {
	b := Backends{{"a.example.", []string{"api", "web"}}, {"b.example.", []string{"def"}}, {"c.example.", nil}}
	for _, tc := range []struct {
		fqdn string
		want []string
	}{
		{"a.example.", []string{"api", "web"}},
		{"b.example.", []string{"def"}},
		{"c.example.", nil},
		{"d.example.", nil},
		{"A.example.", nil}, // FQDNs are canonical: no case folding here
	} {
		if got := b.Of(tc.fqdn); !slices.Equal(got, tc.want) {
			t.Errorf("Of(%s) = %v, want %v", tc.fqdn, got, tc.want)
		}
	}
	same := sameBackends([]string{"a.example.", "b.example."}, []string{"s"})
	if len(same) != 2 || same[0].FQDN != "a.example." || same[1].FQDN != "b.example." || !slices.Equal(same.Of("b.example."), []string{"s"}) {
		t.Errorf("sameBackends %v", same)
	}
	if got := sameBackends(nil, []string{"s"}); len(got) != 0 {
		t.Errorf("sameBackends without FQDNs %v", got)
	}
}
