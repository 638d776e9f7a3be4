package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gslbdns/gslb/syncer/internal/fakeplugin"
	"github.com/gslbdns/gslb/test/wait"
)

// scrape returns the text of a /metrics page.
func scrape(url string) (string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return string(body), nil
}

// metricValue returns the value of series (name{labels}, as exposed) in a
// /metrics page.
func metricValue(page, series string) (float64, bool) {
	for line := range strings.SplitSeq(page, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			return f, err == nil
		}
	}
	return 0, false
}

var metricsURL = regexp.MustCompile(`msg="serving metrics" url=(http://\S+/metrics)`)

// TestRunMetrics runs the syncer with --metrics on a file with an HTTP check
// against a loopback server: the health series follow the member, an edit is
// measured to its acknowledgement, the runtime's series are there, and the
// server goes when run returns.
func TestRunMetrics(t *testing.T) {
	dir := t.TempDir()
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") }))
	defer site.Close()
	_, port, _ := net.SplitHostPort(site.Listener.Addr().String())
	sock := filepath.Join(dir, "gslb.sock")
	srv, err := fakeplugin.Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	path := filepath.Join(dir, "members.yaml")
	file := func(weight int) string {
		return fmt.Sprintf(`records:
  - fqdn: hello.avi.iberia.local
    healthCheck: {type: http, port: %s, interval: 200ms, timeout: 100ms, rise: 1, fall: 1}
    members: [{address: 127.0.0.1, weight: %d}]
`, port, weight)
	}
	writeFile(t, path, file(1))

	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	defer cancel()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	stderr := newLogBuffer()
	done := make(chan int, 1)
	go func() {
		done <- run(runCtx, []string{"--source", "file:" + path, "--push", "unix://" + sock, "--metrics", "127.0.0.1:0"}, stderr)
	}()
	if !stderr.waitFor(ctx, `msg="serving metrics"`) {
		t.Fatalf("no metrics address logged:\n%s", stderr)
	}
	url := metricsURL.FindStringSubmatch(stderr.String())[1]

	var page string
	series := func(s string, want float64) func() error {
		return func() error {
			var err error
			if page, err = scrape(url); err != nil {
				return err
			}
			if v, ok := metricValue(page, s); !ok || v != want {
				return fmt.Errorf("%s = %v (present %v), want %v", s, v, ok, want)
			}
			return nil
		}
	}
	target := fmt.Sprintf(`address="127.0.0.1",port="%s",type="http"`, port)
	acks := `gslb_syncer_event_to_ack_seconds_count{cause="source",target="unix://` + sock + `"}`
	wait.Poll(ctx, t, "the member up", series("gslb_syncer_health_target_up{"+target+"}", 1))
	for _, s := range []string{`gslb_syncer_health_targets{type="http"} 1`, "go_goroutines ", "process_cpu_seconds_total ",
		acks + " 0", `gslb_syncer_health_probes_total{result="ok",type="http"} `} {
		if !strings.Contains(page, s) {
			t.Errorf("/metrics lacks %q", s)
		}
	}

	writeFile(t, path, file(2))
	wait.Poll(ctx, t, "the edit measured", series(acks, 1))

	site.Close()
	wait.Poll(ctx, t, "the member down", series("gslb_syncer_health_target_up{"+target+"}", 0))
	// A probe in flight when the site closes sees the reset; later ones are refused.
	info := regexp.MustCompile(`gslb_syncer_health_target_info\{address="127.0.0.1",health="down",port="` + port +
		`",reason="(connect: connection refused|read: connection reset by peer|connection closed before a complete response)",type="http"\} 1`)
	if !info.MatchString(page) {
		t.Errorf("no target_info with the reason:\n%s", page)
	}
	wait.Poll(ctx, t, "the transition measured", series(`gslb_syncer_event_to_ack_seconds_count{cause="health",target="unix://`+sock+`"}`, 1))

	stop()
	if code := <-done; code != 0 {
		t.Errorf("exit code %d", code)
	}
	if _, err := scrape(url); err == nil {
		t.Error("the metrics are still served after run returned")
	}
}

// A --metrics address that cannot be listened on stops the start-up, and
// the Kubernetes source's metrics= option is used when --metrics is not given.
func TestMetricsListenFailure(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "members.yaml")
	writeFile(t, path, members)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	addr := busy.Addr().String()
	sock := "unix://" + filepath.Join(dir, "none.sock")
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"--metrics", []string{"--source", "file:" + path, "--push", sock, "--metrics", addr},
			"gslb-syncer: --metrics " + addr + ": cannot serve the metrics: listen tcp " + addr + ": bind: address already in use\n"},
		{"metrics=", []string{"--source", "kubernetes:" + filepath.Join(dir, "kubeconfig") + "?metrics=" + addr, "--push", sock},
			"gslb-syncer: --source option metrics=" + addr + ": cannot serve the metrics: listen tcp " + addr + ": bind: address already in use\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if code := run(context.Background(), tt.args, &stderr); code != exitSource {
				t.Errorf("exit code %d, want %d", code, exitSource)
			}
			if got := stderr.String(); got != tt.want {
				t.Errorf("stderr\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
	// --metrics wins over metrics=: the busy address is not tried, and the
	// start-up goes on to the source (which fails: there is no kubeconfig).
	var stderr bytes.Buffer
	code := run(context.Background(), []string{"--source", "kubernetes:" + filepath.Join(dir, "kubeconfig") + "?metrics=" + addr,
		"--push", sock, "--metrics", "127.0.0.1:0"}, &stderr)
	if code != exitSource || strings.Contains(stderr.String(), "cannot serve the metrics") || !strings.Contains(stderr.String(), `msg="serving metrics"`) {
		t.Errorf("exit code %d, stderr\n%s\nwant the metrics served on --metrics and the source's failure", code, stderr.String())
	}
}

// --pprof serves Go's profiles on the metrics address only when asked, and
// needs a metrics address.
func TestPprof(t *testing.T) {
	for _, profiling := range []bool{false, true} {
		m, err := listenMetrics("127.0.0.1:0", newRegistry(), &delegationKeeper{}, slog.New(slog.DiscardHandler), profiling, nil)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { m.Serve(ctx); close(done) }()
		resp, err := http.Get("http://" + m.Addr() + "/debug/pprof/cmdline")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if want := map[bool]int{false: 404, true: 200}[profiling]; resp.StatusCode != want {
			t.Errorf("profiling %v: /debug/pprof/cmdline %d, want %d", profiling, resp.StatusCode, want)
		}
		cancel()
		<-done
	}
	var stderr strings.Builder
	if code := run(context.Background(), []string{"--source", "file:/nonexistent.yaml", "--push", "unix:///tmp/x.sock", "--pprof"}, &stderr); code != exitUsage ||
		!strings.Contains(stderr.String(), "--pprof") {
		t.Errorf("--pprof without --metrics: exit %d, %q", code, stderr.String())
	}
}
