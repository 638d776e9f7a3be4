package gslbctl

import (
	"context"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// WatchOptions configure the check loop of the scenario: resolve the name of
// URL through Server, fetch the URL from the answered address, print what
// came back.
type WatchOptions struct {
	URL      string
	Server   string // DNS server host:port
	Interval time.Duration
	Count    int // rounds; 0 = until ctx ends
	Client   Querier
	Timeout  time.Duration     // per HTTP request
	Match    *regexp.Regexp    // the page's message line; nil = the default
	Sites    map[string]string // member address → site, when known
	Color    bool
	Now      func() time.Time
}

// defaultMatch finds hello-kubernetes' MESSAGE line ("This service resides in SITE1 AZ1").
var defaultMatch = regexp.MustCompile(`(?i)resides|message|site|served`)

// WatchRound is one line of the loop.
type WatchRound struct {
	Time    time.Time
	Address string
	Site    string
	Status  int
	Message string
	Err     error
}

// Watch runs the loop, printing a line per round to w.
func Watch(ctx context.Context, o WatchOptions, w io.Writer) ([]WatchRound, error) {
	u, err := url.Parse(o.URL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("watch: %q is not an http(s) URL", o.URL)
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	if o.Interval <= 0 {
		o.Interval = 2 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Second
	}
	if o.Match == nil {
		o.Match = defaultMatch
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	colors := map[string]string{}
	palette := []string{"\x1b[32m", "\x1b[34m", "\x1b[35m", "\x1b[36m", "\x1b[33m"}
	var rounds []WatchRound
	tick := time.NewTicker(o.Interval)
	defer tick.Stop()
	for i := 0; o.Count == 0 || i < o.Count; i++ {
		if i > 0 {
			select {
			case <-ctx.Done():
				return rounds, nil
			case <-tick.C:
			}
		}
		r := watchOnce(ctx, o, u, host, port)
		rounds = append(rounds, r)
		line := fmt.Sprintf("%s  %-15s  %-8s  ", r.Time.Format("15:04:05.000"), dash(r.Address), dash(r.Site))
		if r.Err != nil {
			line += "ERR  " + r.Err.Error()
		} else {
			line += fmt.Sprintf("%3d  %s", r.Status, r.Message)
		}
		if o.Color && r.Address != "" {
			c, ok := colors[r.Address]
			if !ok {
				c = palette[len(colors)%len(palette)]
				colors[r.Address] = c
			}
			if r.Err != nil || r.Status >= 400 {
				c = "\x1b[31m"
			}
			line = c + line + "\x1b[0m"
		}
		fmt.Fprintln(w, line)
	}
	return rounds, nil
}

func watchOnce(ctx context.Context, o WatchOptions, u *url.URL, host, port string) WatchRound {
	r := WatchRound{Time: o.Now()}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(host), dns.TypeA)
	resp, _, err := o.Client.Exchange(m, o.Server)
	if err != nil {
		r.Err = fmt.Errorf("dns: %v", err)
		return r
	}
	for _, rr := range resp.Answer {
		if a, ok := rr.(*dns.A); ok {
			r.Address = a.A.String()
			break
		}
	}
	if r.Address == "" {
		r.Err = fmt.Errorf("dns: %s, no address", dns.RcodeToString[resp.Rcode])
		return r
	}
	r.Site = o.Sites[r.Address]
	// Connect to the answered address; keep the name for Host and SNI.
	dialer := &net.Dialer{Timeout: o.Timeout}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, net.JoinHostPort(r.Address, port))
		},
		DisableKeepAlives: true,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: o.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		r.Err = err
		return r
	}
	hr, err := client.Do(req)
	if err != nil {
		r.Err = fmt.Errorf("http: %v", err)
		return r
	}
	defer hr.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(hr.Body, 1<<20))
	r.Status = hr.StatusCode
	r.Message = messageLine(string(body), o.Match)
	return r
}

var tags = regexp.MustCompile(`(?s)<script.*?</script>|<style.*?</style>|<[^>]*>`)

// messageLine returns the first line of the page's text matching re, else
// the first non-empty line.
func messageLine(body string, re *regexp.Regexp) string {
	text := html.UnescapeString(tags.ReplaceAllString(body, "\n"))
	first := ""
	for _, l := range strings.Split(text, "\n") {
		l = strings.Join(strings.Fields(l), " ")
		if l == "" {
			continue
		}
		if first == "" {
			first = l
		}
		if re.MatchString(l) {
			return l
		}
	}
	return first
}
