package statuspage

// The observed split: the plugin's coredns_gslb_answers_total, scraped
// every Options.AnswersEvery, kept as the answers per member in each of
// the last Options.AnswersKeep intervals.

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// answers is the history of the answer counters.
type answers struct {
	url   string
	every time.Duration
	keep  int

	max int // series kept at most; beyond, the new ones are not charted

	mu      sync.Mutex
	dropped int         // series of the last scrape not charted (over max)
	times   []time.Time // end of each interval, a ring of keep, times[head] the newest
	head    int
	n       int // intervals filled
	series  map[string]*series
	err     string // the last scrape's failure; "" when it worked
	last    time.Time
}

// series is one member of one record: its counter and the answers per
// interval (aligned with answers.times).
type series struct {
	value  float64
	deltas []uint32
}

func newAnswers(url string, every time.Duration, keep, max int) *answers {
	return &answers{url: url, every: every, keep: keep, max: max, times: make([]time.Time, keep), series: map[string]*series{}}
}

// seriesKey names a member of a record alike in the table and the metrics.
func seriesKey(fqdn, member string) string {
	return strings.ToLower(strings.TrimSuffix(fqdn, ".")) + "\x00" + strings.ToLower(member)
}

// run scrapes until ctx ends.
func (a *answers) run(ctx context.Context, client *http.Client, now func() time.Time) {
	t := time.NewTicker(a.every)
	defer t.Stop()
	for {
		samples, err := scrape(ctx, client, a.url)
		a.add(now(), samples, err)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// add records one scrape: a new interval, each series' answers in it.
func (a *answers) add(at time.Time, samples map[string]float64, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.last = at
	if err != nil {
		a.err = err.Error()
		return
	}
	a.err = ""
	a.head = (a.head + 1) % a.keep
	a.times[a.head] = at
	first := a.n == 0
	a.n = min(a.n+1, a.keep)
	for k, s := range a.series {
		if _, ok := samples[k]; !ok { // the plugin no longer has it: the record or member went
			delete(a.series, k)
		}
		s.deltas[a.head] = 0
	}
	a.dropped = 0
	for k, v := range samples {
		s := a.series[k]
		if s == nil {
			if len(a.series) >= a.max {
				a.dropped++
				continue
			}
			s = &series{value: v, deltas: make([]uint32, a.keep)}
			a.series[k] = s
			if !first {
				s.deltas[a.head] = uint32(v) // new since the last scrape
			}
			continue
		}
		d := v - s.value
		if d < 0 { // the plugin restarted
			d = v
		}
		s.value, s.deltas[a.head] = v, uint32(d)
	}
}

// Interval is the answers each member got in one interval.
type Interval struct {
	End    time.Time `json:"end"`
	Counts []uint32  `json:"counts"` // per member, in the record's order
}

// history returns the intervals of the record's members (keys from
// seriesKey), oldest first, the first scrape (a baseline) left out.
func (a *answers) history(keys []string) []Interval {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := a.n - 1
	if n <= 0 {
		return nil
	}
	out := make([]Interval, n)
	for i := range out {
		slot := (a.head - (n - 1 - i) + a.keep) % a.keep
		iv := Interval{End: a.times[slot], Counts: make([]uint32, len(keys))}
		for j, k := range keys {
			if s := a.series[k]; s != nil {
				iv.Counts[j] = s.deltas[slot]
			}
		}
		out[i] = iv
	}
	return out
}

// state is the scraper's state for the summary.
func (a *answers) state() AnswersState {
	a.mu.Lock()
	defer a.mu.Unlock()
	return AnswersState{URL: a.url, Every: a.every.String(), LastScrape: a.last, Error: a.err, Series: len(a.series), NotCharted: a.dropped}
}

// AnswersState says where the chart's numbers come from.
type AnswersState struct {
	URL        string    `json:"url"`
	Every      string    `json:"every"`
	LastScrape time.Time `json:"lastScrape,omitzero"`
	Error      string    `json:"error,omitempty"`
	Series     int       `json:"series"`     // members charted
	NotCharted int       `json:"notCharted"` // members over the cap (Options.AnswersMaxSeries), not charted
}

// scrape reads coredns_gslb_answers_total from the plugin's metrics, by
// seriesKey.
func scrape(ctx context.Context, client *http.Client, url string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/plain")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return parseAnswers(resp.Body)
}
