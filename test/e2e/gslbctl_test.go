package e2e

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"image/png"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gslbdns/gslb/test/e2e/harness"

	"github.com/miekg/dns"
)

// gslbctl runs bin/gslbctl and returns its output and exit code.
func gslbctl(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(harness.Bin(t, "gslbctl"), args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("gslbctl %v: %v", args, err)
	}
	return out.String(), code
}

// `gslbctl split` against the real server: 6:4:2 exactly with wrr, read from
// the plugin's table; a wrong --expect is flagged; the charts are valid.
func TestGslbctlSplitWRR(t *testing.T) {
	t.Parallel()
	st := startStack(t, w642)
	dir := t.TempDir()
	svg, pngPath := filepath.Join(dir, "split.svg"), filepath.Join(dir, "split.png")

	out, code := gslbctl(t, "split", hello, "--server", st.c.Addr, "-n", "1200", "--qps", "0",
		"--api", "unix://"+st.c.Sock, "--chart", svg)
	if code != 0 {
		t.Fatalf("split exited %d:\n%s", code, out)
	}
	for _, want := range []string{
		"1200 queries, 1200 answered, 0 failed",
		"127.0.0.11", "s1az1", "site1", "50.0%", "600",
		"127.0.0.13", "16.7%", "200",
		"consistent with the configured weights (exact",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("split output lacks %q:\n%s", want, out)
		}
	}
	checkSVG(t, svg)

	out, code = gslbctl(t, "split", hello, "--server", st.c.Addr, "-n", "600", "--qps", "0", "--expect", "1:1:1", "--chart", pngPath)
	if code != 1 || !strings.Contains(out, "DEVIATES") {
		t.Fatalf("a wrong --expect was not flagged (exit %d):\n%s", code, out)
	}
	checkPNG(t, pngPath)
}

// With `random` the split is within the chi-square bound, not exact.
func TestGslbctlSplitRandom(t *testing.T) {
	t.Parallel()
	st := startStack(t, w642)
	yaml := strings.Replace(membersYAML(w642), "algorithm: wrr", "algorithm: random", 1)
	harness.ReplaceFile(t, st.yaml, yaml)
	harness.Eventually(t, waitTimeout, func() error {
		out, _ := gslbctl(t, "table", "--server", "unix://"+st.c.Sock)
		if !strings.Contains(out, "random") {
			return fmt.Errorf("table not yet random:\n%s", out)
		}
		return nil
	})
	// Random answers fail a test at significance level α with probability α:
	// 1e-6 keeps this test from flaking while a wrong split still fails it.
	out, code := gslbctl(t, "split", hello, "--server", st.c.Addr, "-n", "3000", "--qps", "0", "--expect", "6:4:2", "--alpha", "0.000001")
	if code != 0 || !strings.Contains(out, "consistent with the configured weights") || strings.Contains(out, "exact") {
		t.Fatalf("random split (exit %d):\n%s", code, out)
	}
}

// `gslbctl table` shows what was pushed, as text and as JSON.
func TestGslbctlTable(t *testing.T) {
	t.Parallel()
	st := startStack(t, w642)
	out, code := gslbctl(t, "table", "--server", "unix://"+st.c.Sock)
	if code != 0 {
		t.Fatalf("table exited %d:\n%s", code, out)
	}
	for _, want := range []string{
		fmt.Sprintf("version %d, 2 records", st.start.GetVersion()), "zones avi.iberia.local.",
		"hello.avi.iberia.local. ttl 2, wrr", "127.0.0.12", "s1az2", "test.avi.iberia.local. ttl 300", "192.0.2.20",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	out, code = gslbctl(t, "table", "--server", "unix://"+st.c.Sock, "-o", "json")
	var doc struct {
		Status struct {
			Version uint32 `json:"version"`
		} `json:"status"`
		Records []struct {
			Fqdn    string `json:"fqdn"`
			Members []struct {
				Address string `json:"address"`
				Weight  uint32 `json:"weight"`
				Cluster string `json:"cluster"`
			} `json:"members"`
		} `json:"records"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != 0 {
		t.Fatalf("table -o json (exit %d): %v\n%s", code, err, out)
	}
	want := membersTable(w642)
	if doc.Status.Version != st.start.GetVersion() || len(doc.Records) != len(want) {
		t.Fatalf("json table: %+v", doc)
	}
	for i, r := range doc.Records {
		if r.Fqdn != want[i].GetFqdn() || len(r.Members) != len(want[i].GetMembers()) {
			t.Fatalf("record %d: %+v, want %v", i, r, want[i])
		}
		for j, m := range r.Members {
			w := want[i].GetMembers()[j]
			if m.Address != w.GetAddress() || m.Weight != w.GetWeight() || m.Cluster != w.GetCluster() {
				t.Errorf("record %s member %d: %+v, want %v", r.Fqdn, j, m, w)
			}
		}
	}
}

// `gslbctl watch` resolves through the server and fetches from the answered
// site: the sites appear in proportion to the weights.
func TestGslbctlWatch(t *testing.T) {
	t.Parallel()
	st := startStack(t, w642)
	port := siteServers(t, members, []string{"SITE1 AZ1", "SITE1 AZ2", "SITE2"})
	out, code := gslbctl(t, "watch", fmt.Sprintf("http://hello.avi.iberia.local:%d/", port), "--server", st.c.Addr,
		"--interval", "10ms", "--count", "12", "--api", "unix://"+st.c.Sock)
	if code != 0 {
		t.Fatalf("watch exited %d:\n%s", code, out)
	}
	per := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.Contains(l, " 200  This service resides in ") {
			t.Fatalf("watch line %q", l)
		}
		per[l[strings.LastIndex(l, "resides in ")+len("resides in "):]]++
	}
	if per["SITE1 AZ1"] != 6 || per["SITE1 AZ2"] != 4 || per["SITE2"] != 2 {
		t.Fatalf("sites %v, want 6:4:2:\n%s", per, out)
	}
	if !strings.Contains(out, "127.0.0.13       site2") {
		t.Errorf("the site from the table is not shown:\n%s", out)
	}
}

// siteServers starts one HTTP server per address, all on one port, each
// answering like hello-kubernetes with its site's message.
func siteServers(t *testing.T, addrs, sites []string) int {
	t.Helper()
	for attempt := 0; attempt < 50; attempt++ {
		probe, err := net.Listen("tcp", addrs[0]+":0")
		if err != nil {
			t.Fatal(err)
		}
		port := probe.Addr().(*net.TCPAddr).Port
		lns := []net.Listener{probe}
		for _, a := range addrs[1:] {
			ln, err := net.Listen("tcp", fmt.Sprintf("%s:%d", a, port))
			if err != nil {
				break
			}
			lns = append(lns, ln)
		}
		if len(lns) != len(addrs) {
			for _, ln := range lns {
				ln.Close()
			}
			continue
		}
		for i, ln := range lns {
			msg := "This service resides in " + sites[i]
			srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				fmt.Fprintf(w, "<html><body><div id=\"message\">\n%s\n</div></body></html>\n", msg)
			})}
			go srv.Serve(ln)
			t.Cleanup(func() { srv.Close() })
		}
		return port
	}
	t.Fatal("no common free port on the site addresses")
	return 0
}

func checkSVG(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		XMLName xml.Name
		Rects   []struct{} `xml:"rect"`
		Texts   []string   `xml:"text"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s is not valid XML: %v", path, err)
	}
	if doc.XMLName.Local != "svg" || len(doc.Rects) < 8 || len(b) < 2000 ||
		!slices.ContainsFunc(doc.Texts, func(s string) bool { return strings.Contains(s, "50.0%") }) {
		t.Fatalf("%s: root %q, %d rects, %d bytes, texts %v", path, doc.XMLName.Local, len(doc.Rects), len(b), doc.Texts)
	}
}

func checkPNG(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s does not decode as PNG: %v", path, err)
	}
	fi, _ := f.Stat()
	if img.Bounds().Dx() < 400 || img.Bounds().Dy() < 200 || fi.Size() < 5000 {
		t.Fatalf("%s: %v, %d bytes", path, img.Bounds(), fi.Size())
	}
}

// Every metric the Grafana dashboard queries is exposed by coredns-gslb,
// with gslbmetrics (the shipped default) and with the stock prometheus plugin.
func TestDashboardMetricsExist(t *testing.T) {
	t.Parallel()
	for _, plugin := range []string{"gslbmetrics", "prometheus"} {
		t.Run(plugin, func(t *testing.T) {
			t.Parallel()
			checkDashboardMetrics(t, plugin)
		})
	}
}

func checkDashboardMetrics(t *testing.T, plugin string) {
	c := startWithMetrics(t, plugin)
	// Counters appear once something is counted.
	for _, q := range []uint16{dns.TypeA, dns.TypeAAAA} {
		harness.Query(t, c.Addr, "udp", hello, q)
	}
	resp, err := http.Get(fmt.Sprintf("http://%s/metrics", c.HostPort("metrics")))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	exposed := map[string]bool{}
	for _, l := range strings.Split(string(body), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			exposed[regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*`).FindString(l)] = true
		}
	}

	b, err := os.ReadFile(filepath.Join(harness.RepoRoot(t), "deploy", "grafana", "gslb-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Query any `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	metricName := regexp.MustCompile(`\bcoredns_[a-z0-9_]+`)
	var exprs []string
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	for _, v := range dash.Templating.List {
		if s, ok := v.Query.(string); ok {
			exprs = append(exprs, s)
		}
	}
	checked := 0
	for _, e := range exprs {
		for _, name := range metricName.FindAllString(e, -1) {
			checked++
			if !exposed[name] {
				t.Errorf("the dashboard queries %s, which coredns-gslb does not expose", name)
			}
		}
	}
	if checked < 10 {
		t.Fatalf("only %d metric references found in the dashboard", checked)
	}
}

// corefile-examples/static-fallthrough: static names from a zone file,
// GSLB names from the table, through the example's own Corefile.
func TestStaticFallthroughExample(t *testing.T) {
	t.Parallel()
	root := harness.RepoRoot(t)
	ex := filepath.Join(root, "corefile-examples", "static-fallthrough")
	src, err := os.ReadFile(filepath.Join(ex, "Corefile"))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := strings.NewReplacer(
		"avi.iberia.local:1053", `avi.iberia.local:{{port "dns"}}`,
		"{$GSLB_RUN_DIR}", "{{.SockDir}}",
		"{$GSLB_EXAMPLE_DIR}", ex,
		"127.0.0.1:8181", `127.0.0.1:{{port "ready"}}`,
	).Replace(string(src))
	c := harness.StartCoreDNS(t, tmpl, nil)
	harness.StartSyncer(t, "--source", "file:"+filepath.Join(root, "corefile-examples", "demo", "members.yaml"), "--push", "unix://"+c.Sock)
	c.WaitLoaded(loadTimeout)
	harness.Eventually(t, waitTimeout, func() error {
		r, err := harness.Exchange(c.Addr, "udp", "www.avi.iberia.local.", dns.TypeA)
		if err != nil {
			return err
		}
		// From the zone file: the CNAME and its target.
		if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 2 || !r.Authoritative {
			return fmt.Errorf("www: %s", harness.Brief(r))
		}
		return nil
	})
	r := harness.Query(t, c.Addr, "udp", hello, dns.TypeA)
	if _, err := helloAnswer(r); err != nil {
		t.Fatalf("hello through the example: %v", err)
	}
	r = harness.Query(t, c.Addr, "udp", "nope.avi.iberia.local.", dns.TypeA)
	if r.Rcode != dns.RcodeNameError || len(r.Ns) != 1 || r.Ns[0].Header().Rrtype != dns.TypeSOA {
		t.Fatalf("unknown name through fallthrough: %s", harness.Brief(r))
	}
}
