package e2e

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gslbdns/gslb/test/e2e/harness"

	"github.com/miekg/dns"
)

// gslbmetrics, end to end: the real coredns-gslb serves /metrics with our
// series, the Go and process collectors, build info and CoreDNS's standard
// coredns_dns_* series, and the counters move by exactly the queries sent.

const corefileGSLBMetrics = `avi.iberia.local:{{port "dns"}} {
    bind 127.0.0.1
    gslb {
        soa g-dns.iberia.local. hostmaster.iberia.local.
        listen unix://{{.Sock}}
    }
    errors
    gslbmetrics 127.0.0.1:{{port "metrics"}} {
        sample {{.Sample}}
    }
    {{if .Stock}}prometheus 127.0.0.1:{{port "prometheus"}}{{end}}
}
`

func TestGSLBMetricsEndpoint(t *testing.T) {
	t.Parallel()
	c := harness.StartCoreDNS(t, corefileGSLBMetrics, map[string]any{"Sample": 1, "Stock": false})
	loadMembers(t, c)
	url := "http://" + c.HostPort("metrics") + "/metrics"
	server := fmt.Sprintf("dns://127.0.0.1:%d", c.Port("dns"))

	before := scrape(t, url)
	for _, name := range []string{
		"coredns_gslb_table_version", "coredns_gslb_table_records", "coredns_gslb_member_weight",
		"coredns_build_info", "coredns_plugin_enabled", "go_goroutines", "go_memstats_alloc_bytes",
		"process_cpu_seconds_total", "process_resident_memory_bytes",
	} {
		if !before.has(name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	if before.sum("coredns_plugin_enabled", map[string]string{"name": "gslbmetrics"}) != 1 {
		t.Errorf("coredns_plugin_enabled{name=gslbmetrics} is not 1")
	}

	const nA, nAAAA, nNX = 25, 5, 4
	sendQueries(t, c.Addr, nA, nAAAA, nNX)

	with := func(kv ...string) map[string]string {
		m := map[string]string{"server": server, "zone": "avi.iberia.local."}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	expectMoves(t, url, before, []move{
		{"coredns_dns_requests_total", with("proto", "udp", "family", "1", "type", "A"), nA + nNX},
		{"coredns_dns_requests_total", with("proto", "tcp", "family", "1", "type", "AAAA"), nAAAA},
		{"coredns_dns_requests_total", with(), nA + nAAAA + nNX},
		{"coredns_dns_responses_total", with("rcode", "NOERROR", "plugin", "gslb"), nA + nAAAA},
		{"coredns_dns_responses_total", with("rcode", "NXDOMAIN", "plugin", "gslb"), nNX},
		{"coredns_dns_request_duration_seconds_count", with(), nA + nAAAA + nNX}, // sample 1: every query
		{"coredns_dns_response_size_bytes_count", with("proto", "tcp"), nAAAA},
		{"coredns_gslb_requests_total", map[string]string{"type": "A", "result": "answer"}, nA},
		{"coredns_gslb_requests_total", map[string]string{"type": "AAAA", "result": "nodata"}, nAAAA},
		{"coredns_gslb_requests_total", map[string]string{"type": "A", "result": "nxdomain"}, nNX},
		{"coredns_gslb_answers_total", map[string]string{"fqdn": hello}, nA},
	})
	expectStackStart(t, c, url, 16384)
}

// expectStackStart polls /metrics, sending queries that make the server
// allocate (the start size changes at a GC), until new goroutines start
// with want bytes of stack: coredns-gslb's -stack-start default.
func expectStackStart(t *testing.T, c *harness.CoreDNS, url string, want float64) {
	t.Helper()
	var got float64
	harness.Eventually(t, 30*time.Second, func() error {
		sendQueries(t, c.Addr, 200, 0, 0)
		got = scrape(t, url).sum("go_gc_stack_starting_size_bytes", nil)
		if got != want {
			return fmt.Errorf("go_gc_stack_starting_size_bytes %v, want %v", got, want)
		}
		return nil
	})
}

// move is how much the series of name matching labels must have grown.
type move struct {
	name   string
	labels map[string]string
	want   float64
}

// expectMoves scrapes url until every series has moved by exactly its
// count since before. A response is counted just after it is written, so
// the client may see the last answer a moment before its count: poll, and
// fail at once if a count overshoots.
func expectMoves(t *testing.T, url string, before page, moves []move) {
	t.Helper()
	harness.Eventually(t, 10*time.Second, func() error {
		after := scrape(t, url)
		var short []string
		for _, m := range moves {
			got := after.sum(m.name, m.labels) - before.sum(m.name, m.labels)
			switch {
			case got > m.want:
				return harness.Permanent(fmt.Errorf("%s%v moved by %v, want %v", m.name, m.labels, got, m.want))
			case got < m.want:
				short = append(short, fmt.Sprintf("%s%v moved by %v, want %v", m.name, m.labels, got, m.want))
			}
		}
		if short != nil {
			return errors.New(strings.Join(short, "; "))
		}
		return nil
	})
}

// Beside the stock prometheus plugin in the same block, gslbmetrics counts
// nothing itself: the standard series move once per query, not twice.
func TestGSLBMetricsBesideStockPlugin(t *testing.T) {
	t.Parallel()
	c := harness.StartCoreDNS(t, corefileGSLBMetrics, map[string]any{"Sample": 1, "Stock": true})
	loadMembers(t, c)
	url := "http://" + c.HostPort("metrics") + "/metrics"
	before := scrape(t, url)
	sendQueries(t, c.Addr, 7, 0, 0)
	expectMoves(t, url, before, []move{
		{"coredns_dns_requests_total", map[string]string{"zone": "avi.iberia.local.", "type": "A"}, 7},
		{"coredns_dns_responses_total", map[string]string{"zone": "avi.iberia.local.", "rcode": "NOERROR"}, 7},
	})
	// Both endpoints serve the same registry.
	if stock := scrape(t, "http://"+c.HostPort("prometheus")+"/metrics"); !stock.has("coredns_gslb_table_version") {
		t.Error("the stock plugin's endpoint lacks coredns_gslb_table_version")
	}
}

func loadMembers(t *testing.T, c *harness.CoreDNS) {
	t.Helper()
	yaml := t.TempDir() + "/members.yaml"
	harness.WriteFile(t, yaml, membersYAML(w642))
	harness.StartSyncer(t, "--source", "file:"+yaml, "--push", "unix://"+c.Sock)
	c.WaitLoaded(loadTimeout)
}

// sendQueries sends hello A over UDP, hello AAAA over TCP and unknown names
// over UDP, checking each answer.
func sendQueries(t *testing.T, addr string, nA, nAAAA, nNX int) {
	t.Helper()
	for range nA {
		if r := harness.Query(t, addr, "udp", hello, dns.TypeA); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
			t.Fatalf("hello A: %s", harness.Brief(r))
		}
	}
	for range nAAAA {
		if r := harness.Query(t, addr, "tcp", hello, dns.TypeAAAA); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 0 {
			t.Fatalf("hello AAAA: %s", harness.Brief(r))
		}
	}
	for i := range nNX {
		if r := harness.Query(t, addr, "udp", fmt.Sprintf("nx-%d.avi.iberia.local.", i), dns.TypeA); r.Rcode != dns.RcodeNameError {
			t.Fatalf("nx: %s", harness.Brief(r))
		}
	}
}

// page is a scraped /metrics page: series by name, each with its labels.
type page map[string][]series

type series struct {
	labels map[string]string
	value  float64
}

var (
	reSeries = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$`)
	reLabel  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)
)

func scrape(t *testing.T, url string) page {
	t.Helper()
	code, body, err := harness.HTTPGet(url)
	if err != nil || code != 200 {
		t.Fatalf("GET %s: %d %v", url, code, err)
	}
	p := page{}
	for _, l := range strings.Split(body, "\n") {
		m := reSeries.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			t.Fatalf("%s: value %q: %v", url, m[3], err)
		}
		s := series{labels: map[string]string{}, value: v}
		for _, lm := range reLabel.FindAllStringSubmatch(m[2], -1) {
			s.labels[lm[1]] = lm[2]
		}
		p[m[1]] = append(p[m[1]], s)
	}
	return p
}

func (p page) has(name string) bool { return len(p[name]) > 0 }

// sum adds the values of the series of name whose labels include want.
func (p page) sum(name string, want map[string]string) float64 {
	total := 0.0
next:
	for _, s := range p[name] {
		for k, v := range want {
			if s.labels[k] != v {
				continue next
			}
		}
		total += s.value
	}
	return total
}
