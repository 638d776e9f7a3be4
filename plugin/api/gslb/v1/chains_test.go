package gslbv1

import (
	"fmt"
	"strings"
	"testing"
)

func TestValidateChains(t *testing.T) {
	n := func(i int) string { return fmt.Sprintf("n%d.", i) }
	line := func(from, to int) map[string][]string { // n<from> → … → n<to>
		m := map[string][]string{}
		for i := from; i < to; i++ {
			m[n(i)] = []string{n(i + 1)}
		}
		return m
	}
	for _, tt := range []struct {
		name    string
		aliases map[string][]string
		exists  []string // besides the aliases
		want    string
	}{
		{"none", nil, nil, ""},
		{"eight hops to an address", line(0, 8), []string{"n8."}, ""},
		{"nine hops to an address", line(0, 9), []string{"n9."}, "CNAME chain of more than 8 in-zone hops"},
		{"nine hops to a name out of the table", line(0, 9), nil, ""},
		{"self loop through two", map[string][]string{"a.": {"b."}, "b.": {"a."}}, nil, "CNAME loop: a. → b. → a."},
		// A long tail already measured (memoised) makes a new head too long.
		{"head onto a measured tail", func() map[string][]string {
			m := line(1, 9)           // n1 → … → n9: 8 hops
			m["z."] = []string{"n1."} // walked after n1 (names in order)
			return m
		}(), []string{"n9."}, "CNAME chain of more than 8 in-zone hops, the most an answer follows: z. → n1. → … (8 more)"},
		{"one long member among short ones", map[string][]string{"a.": {"x.", "n0."}, "n0.": {"n1."}}, []string{"x.", "n1."}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			exists := map[string]bool{}
			for k := range tt.aliases {
				exists[k] = true
			}
			for _, e := range tt.exists {
				exists[e] = true
			}
			err := ValidateChains(tt.aliases, func(s string) bool { return exists[s] })
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}
