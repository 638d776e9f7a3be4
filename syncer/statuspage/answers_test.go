package statuspage

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseAnswers(t *testing.T) {
	text := `# HELP coredns_gslb_answers_total Answers given with each member of each record: the observed split.
# TYPE coredns_gslb_answers_total counter
coredns_gslb_answers_total{cluster="s1az1",fqdn="hello.avi.iberia.local.",member="127.0.0.11",site="site1"} 120
coredns_gslb_answers_total{cluster="",fqdn="Odd\"Name\\.avi.iberia.local.",member="www.example.",site=""} 7
coredns_gslb_answers_totally{fqdn="x",member="y"} 1
coredns_gslb_member_weight{cluster="s1az1",fqdn="hello.avi.iberia.local.",member="127.0.0.11",site="site1"} 6
`
	got, err := parseAnswers(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{
		seriesKey("hello.avi.iberia.local.", "127.0.0.11"):      120,
		seriesKey(`odd"name\.avi.iberia.local`, "WWW.example."): 7,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if _, err := parseAnswers(strings.NewReader(`coredns_gslb_answers_total{fqdn="x 1` + "\n")); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("a broken line: %v, want an error naming line 1", err)
	}
}

// The answers per interval: the first scrape is the baseline, a counter
// that goes back (the plugin restarted) counts from 0, a series seen
// later counts whole, a failed scrape adds no interval.
func TestAnswersHistory(t *testing.T) {
	a := newAnswers("u", time.Second, 3, 2)
	k1, k2 := seriesKey("h.", "a"), seriesKey("h.", "b")
	t0 := time.Unix(1000, 0)
	a.add(t0, map[string]float64{k1: 100}, nil)
	if h := a.history([]string{k1, k2}); h != nil {
		t.Fatalf("after the baseline: %v, want none", h)
	}
	a.add(t0.Add(time.Second), map[string]float64{k1: 160, k2: 40}, nil)
	a.add(t0.Add(2*time.Second), nil, fmt.Errorf("refused"))
	a.add(t0.Add(3*time.Second), map[string]float64{k1: 20, k2: 40}, nil)
	a.add(t0.Add(4*time.Second), map[string]float64{k1: 20, k2: 70}, nil)
	h := a.history([]string{k1, k2})
	got := fmt.Sprint(len(h), h[0].Counts, h[1].Counts)
	if want := "2 [20 0] [0 30]"; got != want {
		t.Errorf("history %s, want %s (the 3 kept: baseline dropped, oldest gone)", got, want)
	}
	if a.state().Error != "" {
		t.Errorf("the error stays after a scrape that worked: %q", a.state().Error)
	}
	// A series the plugin no longer has goes; one over the cap is not charted.
	k3 := seriesKey("h.", "c")
	a.add(t0.Add(5*time.Second), map[string]float64{k2: 80, k3: 5}, nil)
	if st := a.state(); st.Series != 2 || st.NotCharted != 0 {
		t.Errorf("after k1 went: %+v, want 2 series charted", st)
	}
	a.add(t0.Add(6*time.Second), map[string]float64{k2: 90, k3: 6, seriesKey("h.", "d"): 1}, nil)
	if st := a.state(); st.Series != 2 || st.NotCharted != 1 {
		t.Errorf("over the cap: %+v, want 2 charted and 1 not", st)
	}
	r := Record{FQDN: "h.", Members: []Member{{Address: "a"}, {Address: "b"}}}
	withAnswers(&r, h)
	if r.Members[0].Answers.Share != 0 || r.Members[1].Answers.Share != 1 {
		t.Errorf("shares %+v %+v", r.Members[0].Answers, r.Members[1].Answers)
	}
}

// The page scrapes a metrics endpoint over HTTP and shows each member's
// share of the last interval, and the chart.
func TestPageScrapesAnswers(t *testing.T) {
	var mu sync.Mutex
	counts := [3]int{0, 0, 0}
	metrics := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		for i, m := range []string{"127.0.0.11", "127.0.0.12", "127.0.0.13"} {
			fmt.Fprintf(w, "coredns_gslb_answers_total{cluster=\"c\",fqdn=\"hello.avi.iberia.local.\",member=%q,site=\"s\"} %d\n", m, counts[i])
		}
	}))
	defer metrics.Close()
	p := New(Options{Table: helloTable(), AnswersURL: metrics.URL, AnswersEvery: 10 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go p.Run(ctx)
	// Answers arrive 0:3:1 from now on (.11 is down).
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		counts[1] += 3
		counts[2]++
		mu.Unlock()
		d, _ := p.detail("hello.avi.iberia.local.", "")
		m := d.Record.Members
		if len(d.Chart) > 0 && m[1].Answers != nil && m[0].Answers.Share == 0 && m[1].Answers.Share == 0.75 && m[2].Answers.Share == 0.25 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no 0:3:1 split: %+v", m)
		}
		time.Sleep(time.Millisecond) // feeding the counters, not waiting for them
	}
	mux := http.NewServeMux()
	p.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	_, body := get(t, srv.URL+PathRecord+"?name=hello.avi.iberia.local.")
	for _, want := range []string{`<polyline class="series" data-member="127.0.0.12"`, "127.0.0.11</code>: 0% of the last interval", "75%"} {
		if !strings.Contains(body, want) {
			t.Errorf("the record page lacks %q", want)
		}
	}
}
