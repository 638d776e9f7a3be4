package gslbctl

// The probe role of syncers sharing their site's probes (gslbctl probes):
// read from the metrics each gslb-syncer with --health-listen serves,
// gslb_syncer_probe_role and gslb_syncer_probe_leader.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"text/tabwriter"
)

// ProbeState is one syncer's part in its site's probes.
type ProbeState struct {
	Syncer string `json:"syncer"` // the metrics address it was read from
	Role   string `json:"role"`   // leader, follower, alone or waiting
	Leader string `json:"leader"` // the probe leader's HOST:PORT as the Lease last named it; "" when none is known
	Self   bool   `json:"self"`   // the leader named is this syncer
	Err    string `json:"error,omitempty"`
}

// Probing tells whether the syncer probes in its role (and serves its
// decisions).
func (s ProbeState) Probing() bool { return s.Role == "leader" || s.Role == "alone" }

// FetchProbes reads the probe state of the syncer at base (http://HOST:PORT,
// its metrics address, with or without /metrics); a syncer that cannot be
// read has Err set.
func FetchProbes(ctx context.Context, base string) ProbeState {
	st, err := fetchProbes(ctx, base)
	st.Syncer = base
	if err != nil {
		st.Err = err.Error()
	}
	return st
}

func fetchProbes(ctx context.Context, base string) (ProbeState, error) {
	url := strings.TrimSuffix(strings.TrimSuffix(base, "/"), "/metrics") + "/metrics"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return ProbeState{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return ProbeState{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return ProbeState{}, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	st, err := ParseProbes(resp.Body)
	if err != nil {
		return st, fmt.Errorf("GET %s: %w", url, err)
	}
	return st, nil
}

var (
	roleSeries   = regexp.MustCompile(`^gslb_syncer_probe_role\{role="([a-z]+)"\} 1$`)
	leaderSeries = regexp.MustCompile(`^gslb_syncer_probe_leader\{leader="([^"]*)",self="(true|false)"\} 1$`)
)

// ParseProbes reads the probe role and leader from a syncer's metrics (the
// Prometheus text format).
func ParseProbes(r io.Reader) (ProbeState, error) {
	var st ProbeState
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if m := roleSeries.FindStringSubmatch(line); m != nil {
			st.Role = m[1]
		} else if m := leaderSeries.FindStringSubmatch(line); m != nil {
			st.Leader, st.Self = m[1], m[2] == "true"
		}
	}
	if err := sc.Err(); err != nil {
		return st, err
	}
	if st.Role == "" {
		return st, fmt.Errorf("no gslb_syncer_probe_role: the syncer does not share its site's probes (no --health-listen)")
	}
	return st, nil
}

// WriteProbes prints one row per syncer: its role, whether it probes, and
// the leader it knows ("itself" when it is).
func WriteProbes(w io.Writer, states []ProbeState) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SYNCER\tROLE\tPROBES\tLEADER")
	for _, s := range states {
		if s.Err != "" {
			fmt.Fprintf(tw, "%s\t-\t-\terror: %s\n", s.Syncer, s.Err)
			continue
		}
		probes, leader := "no", s.Leader
		if s.Probing() {
			probes = "yes"
		}
		switch {
		case leader == "":
			leader = "none known"
		case s.Self:
			leader += " (itself)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Syncer, s.Role, probes, leader)
	}
	return tw.Flush()
}
