package statuspage

// The summary endpoint's client, for gslbctl status: fetch a page of the
// summary and print it as a table.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Fetch reads one page of the summary from a syncer's metrics address
// (http://HOST:PORT), the records whose name contains q.
func Fetch(ctx context.Context, base, q string, page, size int) (*Summary, error) {
	v := url.Values{}
	if q != "" {
		v.Set("q", q)
	}
	if page > 0 {
		v.Set("page", strconv.Itoa(page))
	}
	if size > 0 {
		v.Set("size", strconv.Itoa(size))
	}
	u := strings.TrimSuffix(base, "/") + PathSummary + "?" + v.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, fmt.Errorf("GET %s: 404: the syncer serves no status page (start it with --status-page)", u)
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("GET %s: %s: %s", u, resp.Status, strings.TrimSpace(string(b)))
	}
	var s Summary
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		return nil, fmt.Errorf("GET %s: %v", u, err)
	}
	return &s, nil
}

// WriteText prints the summary: one line per member, then the probes and
// the plugins' sync state.
func WriteText(w io.Writer, s *Summary) error {
	r := s.Records
	fmt.Fprintf(w, "%d of %d records", r.Matched, r.Total)
	if r.Query != "" {
		fmt.Fprintf(w, " matching %q", r.Query)
	}
	fmt.Fprintf(w, ", page %d of %d; table generation %d\n\n", r.Page, r.Pages, s.Generation)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tMEMBER\tSITE/CLUSTER\tWEIGHT\tPRIO\tHEALTH\tSINCE\tSHARE\tREASON")
	for _, rec := range r.Items {
		name := rec.FQDN
		for _, m := range rec.Members {
			fmt.Fprintf(tw, "%s\t%s\t%s/%s\t%d→%d\t%d\t%s\t%s\t%s\t%s\n", name, memberName(m), dash(m.Site), dash(m.Cluster),
				m.Weight, m.EffectiveWeight, m.Priority, healthText(m), since(s.Now, m.Since), share(m), dash(m.Reason))
			name = ""
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nprobes: %s", s.Probes.Role)
	if s.Probes.Shared && s.Probes.Leader != "" {
		fmt.Fprintf(w, " (leader %s)", s.Probes.Leader)
	}
	fmt.Fprintln(w)
	for _, t := range s.Targets {
		state := "synced"
		if !t.Synced {
			state = "not synced"
		}
		if t.LastError != "" {
			state += ": " + t.LastError
		}
		fmt.Fprintf(w, "plugin %s: %s (version %d, %d records)\n", t.Target, state, t.AckedVersion, t.AckedRecords)
	}
	for _, c := range s.Clusters {
		fmt.Fprintf(w, "cluster %s: %s\n", c.Cluster, map[bool]string{true: "synced", false: "unreachable"}[c.Up])
	}
	_, err := fmt.Fprintln(w)
	return err
}

func healthText(m Member) string {
	h := m.Health
	if m.Drained {
		h += ",drained"
	}
	if m.Stale != nil {
		h += ",stale"
	}
	return h
}

func since(now, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return now.Sub(t).Round(time.Second).String() + " ago"
}

func share(m Member) string {
	if m.Answers == nil {
		return "-"
	}
	return strconv.FormatFloat(100*m.Answers.Share, 'f', 0, 64) + "%"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
