package gslbctl

// The delegation's status (gslbctl delegation): what a gslb-syncer with
// --delegation serves on its metrics listener, /status/delegation.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gslbdns/gslb/syncer/delegation"
)

// DelegationPath is where a gslb-syncer serves its delegation's status.
const DelegationPath = "/status/delegation"

// FetchDelegation reads the delegation's status from the syncer at base
// (http://HOST:PORT, its metrics address).
func FetchDelegation(ctx context.Context, base string) (*delegation.StatusAt, error) {
	url := strings.TrimSuffix(base, "/") + DelegationPath
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("GET %s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	var s delegation.StatusAt
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	if s.Status == nil {
		return nil, fmt.Errorf("GET %s: no outputs in the answer", url)
	}
	return &s, nil
}

// WriteDelegation prints s as a table: per output where it is kept, its
// state and since when, the last success, the next check, and the last
// error (reason, since when, message). Times are UTC, with how long ago
// (or how soon) as of s.Now.
func WriteDelegation(w io.Writer, s *delegation.StatusAt) error {
	if len(s.Outputs) == 0 {
		_, err := fmt.Fprintln(w, "no outputs")
		return err
	}
	o0 := s.Outputs[0]
	fmt.Fprintf(w, "zone %s  NS %s", o0.Zone, o0.NS)
	if len(o0.Addresses) > 0 {
		fmt.Fprintf(w, "  addresses %s", strings.Join(o0.Addresses, ", "))
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "OUTPUT\tWHERE\tSTATE\tSINCE\tSITE READY\tLAST SUCCESS\tNEXT CHECK\tLAST ERROR")
	for _, o := range s.Outputs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", o.Output, o.Where, stateText(o), ago(s.Now, o.Since),
			siteReady(s.Now, o), ago(s.Now, o.LastSuccess), soon(s.Now, o.NextCheck), lastError(s.Now, o.LastError))
	}
	return tw.Flush()
}

// siteReady says whether the site's DNS was ready at the last check, and by
// which check (syncer/delegation/readiness.go), or since when it is not.
func siteReady(now time.Time, o delegation.OutputStatus) string {
	switch {
	case o.ReadyBy != delegation.NotReady:
		return "yes (" + string(o.ReadyBy) + ")"
	case !o.NotReadySince.IsZero():
		return "no, since " + ago(now, o.NotReadySince)
	}
	return "-"
}

func stateText(o delegation.OutputStatus) string {
	if o.Detail != "" {
		return string(o.State) + " (" + o.Detail + ")"
	}
	return string(o.State)
}

func lastError(now time.Time, e *delegation.StatusError) string {
	if e == nil {
		return "-"
	}
	return fmt.Sprintf("%s since %s: %s", e.Reason, ago(now, e.Since), e.Message)
}

// ago is t as UTC time of day and how long before now: "12:03:05 (2m10s ago)".
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return fmt.Sprintf("%s (%s ago)", t.UTC().Format(time.TimeOnly), now.Sub(t).Round(time.Second))
}

// soon is how long after now t is: "in 20s", "in <1s", or "due" once past.
func soon(now, t time.Time) string {
	switch d := t.Sub(now); {
	case t.IsZero():
		return "-"
	case d <= 0:
		return "due"
	case d < time.Second:
		return "in <1s"
	default:
		return "in " + d.Round(time.Second).String()
	}
}
