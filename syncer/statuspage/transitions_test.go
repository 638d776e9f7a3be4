package statuspage

import (
	"fmt"
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/health"
)

// The first batch is the state at start (since-when, no transitions); the
// later ones are transitions, newest first, the last keepTransitions kept.
func TestDecisions(t *testing.T) {
	d := newDecisions()
	t0 := time.Unix(1000, 0)
	d.observe([]health.Decision{{Target: "192.0.2.1|http|80", Health: gslbv1.Health_HEALTH_UP, Since: t0}})
	if len(d.transitions()) != 0 || !d.since("192.0.2.1").Equal(t0) {
		t.Fatalf("after the start: %v transitions, since %v", d.transitions(), d.since("192.0.2.1"))
	}
	for i := range keepTransitions + 5 {
		h := []gslbv1.Health{gslbv1.Health_HEALTH_DOWN, gslbv1.Health_HEALTH_UP}[i%2]
		d.observe([]health.Decision{{Target: "192.0.2.1|http|80", Health: h, Reason: fmt.Sprint(i), Since: t0.Add(time.Duration(i+1) * time.Second)}})
	}
	tr := d.transitions()
	if len(tr) != keepTransitions || tr[0].Reason != fmt.Sprint(keepTransitions+4) || tr[len(tr)-1].Reason != "5" ||
		tr[0].Address != "192.0.2.1" || tr[0].Health != "down" {
		t.Errorf("%d transitions, newest %+v, oldest %+v", len(tr), tr[0], tr[len(tr)-1])
	}
	if want := t0.Add((keepTransitions + 5) * time.Second); !d.since("192.0.2.1").Equal(want) {
		t.Errorf("since %v, want %v", d.since("192.0.2.1"), want)
	}
}
