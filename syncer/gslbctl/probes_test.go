package gslbctl

import (
	"strings"
	"testing"
)

// ParseProbes: the role whose series is 1 and the leader's series, from a
// syncer's metrics; a syncer without shared probes is an error.
func TestParseProbes(t *testing.T) {
	cases := []struct {
		name, metrics string
		want          ProbeState
		err           string
	}{
		{"follower", `# HELP gslb_syncer_probe_role 1 for this syncer's role
# TYPE gslb_syncer_probe_role gauge
gslb_syncer_probe_role{role="alone"} 0
gslb_syncer_probe_role{role="follower"} 1
gslb_syncer_probe_role{role="leader"} 0
gslb_syncer_probe_role{role="waiting"} 0
gslb_syncer_probe_leader{leader="192.0.2.7:9155",self="false"} 1
gslb_syncer_health_targets{type="http"} 3
`, ProbeState{Role: "follower", Leader: "192.0.2.7:9155"}, ""},
		{"alone, the leader it last saw is itself", `gslb_syncer_probe_role{role="alone"} 1
gslb_syncer_probe_role{role="leader"} 0
gslb_syncer_probe_leader{leader="192.0.2.8:9155",self="true"} 1
`, ProbeState{Role: "alone", Leader: "192.0.2.8:9155", Self: true}, ""},
		{"waiting, no leader known", `gslb_syncer_probe_role{role="waiting"} 1
`, ProbeState{Role: "waiting"}, ""},
		{"not sharing", `gslb_syncer_health_targets{type="http"} 3
`, ProbeState{}, "does not share its site's probes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseProbes(strings.NewReader(c.metrics))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want one saying %q", err, c.err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Errorf("got %+v %v, want %+v", got, err, c.want)
			}
		})
	}
}

// WriteProbes: one row per syncer, whether it probes, the leader it knows.
func TestWriteProbes(t *testing.T) {
	var b strings.Builder
	err := WriteProbes(&b, []ProbeState{
		{Syncer: "http://192.0.2.7:9153", Role: "leader", Leader: "192.0.2.7:9155", Self: true},
		{Syncer: "http://192.0.2.8:9153", Role: "follower", Leader: "192.0.2.7:9155"},
		{Syncer: "http://192.0.2.9:9153", Role: "waiting"},
		{Syncer: "http://192.0.2.10:9153", Err: "connection refused"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "" +
		"SYNCER                  ROLE      PROBES  LEADER\n" +
		"http://192.0.2.7:9153   leader    yes     192.0.2.7:9155 (itself)\n" +
		"http://192.0.2.8:9153   follower  no      192.0.2.7:9155\n" +
		"http://192.0.2.9:9153   waiting   no      none known\n" +
		"http://192.0.2.10:9153  -         -       error: connection refused\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
