package health

import (
	"strings"
	"testing"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
)

// seq turns "++-+" into results: + a success, - a failure ("HTTP 503 #n").
func seq(s string) []Result {
	out := make([]Result, len(s))
	for i, c := range s {
		if c == '+' {
			out[i] = Result{OK: true, Reason: "HTTP 200 from GET /"}
		} else {
			out[i] = Result{Reason: "HTTP 503 from GET /"}
		}
	}
	return out
}

func TestStateRiseFall(t *testing.T) {
	const (
		U = gslbv1.Health_HEALTH_UNKNOWN
		P = gslbv1.Health_HEALTH_UP
		D = gslbv1.Health_HEALTH_DOWN
	)
	tests := []struct {
		name       string
		rise, fall int
		results    string
		want       []gslbv1.Health // the health after each result
	}{
		{"first success is up", 2, 3, "+", []gslbv1.Health{P}},
		{"unknown stays served until fall failures", 2, 3, "---", []gslbv1.Health{U, U, D}},
		{"one failure changes nothing", 2, 3, "+-+-+--+", []gslbv1.Health{P, P, P, P, P, P, P, P}},
		{"fall failures in a row", 2, 3, "+---", []gslbv1.Health{P, P, P, D}},
		{"a success resets the failures", 2, 3, "+--+---", []gslbv1.Health{P, P, P, P, P, P, D}},
		{"rise successes in a row", 2, 3, "---++", []gslbv1.Health{U, U, D, D, P}},
		{"a failure resets the successes", 3, 3, "---++-+++", []gslbv1.Health{U, U, D, D, D, D, D, D, P}},
		{"fall 1 is immediate", 1, 1, "+-+", []gslbv1.Health{P, D, P}},
		{"down stays down on failures", 2, 2, "+----", []gslbv1.Health{P, P, D, D, D}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s state
			var got []gslbv1.Health
			changes := 0
			for _, r := range seq(tt.results) {
				before := s.health
				if s.observe(r, tt.rise, tt.fall) {
					changes++
					if s.health == before {
						t.Errorf("observe reported a change but the health stayed %v", before)
					}
				} else if s.health != before {
					t.Errorf("observe reported no change but the health went %v → %v", before, s.health)
				}
				got = append(got, s.health)
			}
			for i := range tt.want {
				if got[i] != tt.want[i] {
					t.Fatalf("results %s: health %v, want %v", tt.results, got, tt.want)
				}
			}
		})
	}
}

func TestStateReasonIsThatOfTheTransition(t *testing.T) {
	var s state
	s.observe(Result{OK: true, Reason: "HTTP 200 from GET /"}, 2, 3)
	s.observe(Result{Reason: "HTTP 503 from GET /"}, 2, 3)
	s.observe(Result{Reason: "timeout after 1s"}, 2, 3)
	if s.reason != "HTTP 200 from GET /" {
		t.Errorf("reason %q before the transition, want that of the last one", s.reason)
	}
	s.observe(Result{Reason: "connect: connection refused"}, 2, 3)
	if s.health != gslbv1.Health_HEALTH_DOWN || s.reason != "connect: connection refused" {
		t.Errorf("after 3 failures: %v %q", s.health, s.reason)
	}
	s.observe(Result{Reason: "HTTP 503 from GET /"}, 2, 3)
	if !strings.Contains(s.reason, "refused") {
		t.Errorf("a failure while down changed the reason to %q", s.reason)
	}
}
