package main

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gslbdns/gslb/syncer/internal/fakeplugin"
	"github.com/gslbdns/gslb/test/wait"
)

// The status page is off by default: the metrics address serves no
// /status/ unless --status-page is given; with it the page shows the
// table pushed. Its flags need a metrics address, and --status-answers
// the page.
func TestStatusPageFlag(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "gslb.sock")
	srv, err := fakeplugin.Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	path := filepath.Join(dir, "members.yaml")
	writeFile(t, path, members)
	base := []string{"--source", "file:" + path, "--push", "unix://" + sock, "--metrics", "127.0.0.1:0"}
	for _, page := range []bool{false, true} {
		args := base
		if page {
			args = append(args, "--status-page")
		}
		ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
		runCtx, stop := context.WithCancel(ctx)
		stderr := newLogBuffer()
		done := make(chan int, 1)
		go func() { done <- run(runCtx, args, stderr) }()
		if !stderr.waitFor(ctx, `msg="gslb-syncer started"`) {
			t.Fatalf("not started:\n%s", stderr)
		}
		url := strings.TrimSuffix(metricsURL.FindStringSubmatch(stderr.String())[1], "/metrics")
		var code int
		var body string
		wait.Poll(ctx, t, "the page", func() error {
			resp, err := http.Get(url + "/status/")
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			code, body = resp.StatusCode, string(b)
			if page && !strings.Contains(body, "hello.avi.iberia.local.") {
				return errorString("the page does not list hello yet")
			}
			return nil
		})
		if want := map[bool]int{false: 404, true: 200}[page]; code != want {
			t.Errorf("--status-page %v: GET /status/ %d, want %d", page, code, want)
		}
		if logged := strings.Contains(stderr.String(), `msg="serving the status page" url=`+url+"/status/"); logged != page {
			t.Errorf("--status-page %v: the page's URL logged: %v", page, logged)
		}
		stop()
		<-done
		cancel()
	}
	for _, c := range []struct{ args, want string }{
		{"--status-page", "--status-page serves on the metrics address: set --metrics"},
		{"--status-answers http://127.0.0.1:9153/metrics", "--status-answers needs --status-page"},
		{"--metrics 127.0.0.1:0 --status-page --status-answers 127.0.0.1:9153", `--status-answers "127.0.0.1:9153": want the plugin's metrics URL, http://HOST:PORT/metrics`},
	} {
		var stderr strings.Builder
		args := append([]string{"--source", "file:" + path, "--push", "unix://" + sock}, strings.Fields(c.args)...)
		if code := run(context.Background(), args, &stderr); code != exitUsage || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%s: exit %d, %q; want %d and %q", c.args, code, stderr.String(), exitUsage, c.want)
		}
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }
