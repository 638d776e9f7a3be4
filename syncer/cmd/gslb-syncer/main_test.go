package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/internal/fakeplugin"
)

const testDeadline = 2 * time.Minute

// logBuffer is a goroutine-safe buffer whose readers can wait for a text.
type logBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func newLogBuffer() *logBuffer { return &logBuffer{changed: make(chan struct{})} }

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	close(b.changed)
	b.changed = make(chan struct{})
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor waits until the buffer contains s.
func (b *logBuffer) waitFor(ctx context.Context, s string) bool {
	for {
		b.mu.Lock()
		ok, changed := strings.Contains(b.buf.String(), s), b.changed
		b.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return false
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

const members = `records:
  - fqdn: hello.avi.iberia.local
    ttl: 2
    members:
      - {cluster: s1az1, address: 127.0.0.11, weight: 6}
      - {cluster: s1az2, address: 127.0.0.12, weight: 4}
  - fqdn: other.avi.iberia.local
    members: [{address: 127.0.0.21}]
`

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "members.yaml")
	writeFile(t, path, members)
	deleg := filepath.Join(dir, "delegation.yaml")
	writeFile(t, deleg, "zone: avi.iberia.local\nnameServer:\n  name: g-dns-a.iberia.local\n  addresses: [192.0.2.300]\n"+
		"dnsEndpoint: {kubeconfig: /k}\n")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"help", []string{"--help"}, 0, "Usage: gslb-syncer"},
		{"no source", []string{"--push", "unix:///x.sock"}, 2, "gslb-syncer: --source is required\n"},
		{"no push", []string{"--source", "file:" + path}, 2, "gslb-syncer: --push is required (at least one)\n"},
		{"unknown source", []string{"--source", "consul:gslb/members", "--push", "unix:///x.sock"}, 2,
			`gslb-syncer: --source "consul:gslb/members": unknown kind "consul" (supported: file, kubernetes)` + "\n"},
		{"bad kubernetes option", []string{"--source", "kubernetes:/k?grace=soon", "--push", "unix:///x.sock"}, 2,
			`gslb-syncer: --source "kubernetes:/k?grace=soon": option grace="soon": want a positive duration` + "\n"},
		{"bad target", []string{"--source", "file:" + path, "--push", "localhost:53"}, 2,
			`gslb-syncer: push target "localhost:53": want unix:///path/to.sock or tcp://HOST:PORT` + "\n"},
		{"tcp without TLS", []string{"--source", "file:" + path, "--push", "tcp://127.0.0.1:9053"}, 2,
			"gslb-syncer: push target tcp://127.0.0.1:9053: a tcp target requires mutual TLS: a client certificate, a key and a CA file: set --tls-cert, --tls-key and --tls-ca\n"},
		{"bad resync", []string{"--source", "file:" + path, "--push", "unix:///x.sock", "--resync", "0s"}, 2, "gslb-syncer: --resync 0s must be positive\n"},
		{"bad log level", []string{"--source", "file:" + path, "--push", "unix:///x.sock", "--log-level", "loud"}, 2,
			`gslb-syncer: --log-level "loud": want debug, info, warn or error` + "\n"},
		{"bad metrics address", []string{"--source", "file:" + path, "--push", "unix:///x.sock", "--metrics", "9100"}, 2,
			`gslb-syncer: --metrics "9100": want HOST:PORT` + "\n"},
		{"bad metrics port", []string{"--source", "file:" + path, "--push", "unix:///x.sock", "--metrics", "127.0.0.1:http"}, 2,
			`gslb-syncer: --metrics "127.0.0.1:http": port "http": want a number from 0 to 65535` + "\n"},
		{"bad kubernetes metrics option", []string{"--source", "kubernetes:/k?metrics=localhost", "--push", "unix:///x.sock"}, 2,
			`gslb-syncer: --source "kubernetes:/k?metrics=localhost": option metrics="localhost": want HOST:PORT` + "\n"},
		{"bad delegation file", []string{"--source", "file:" + path, "--push", "unix:///x.sock", "--delegation", deleg}, 2,
			"gslb-syncer: " + deleg + `:4: nameServer.addresses[0]: "192.0.2.300" is not an IP address` + "\n"},
		{"missing delegation file", []string{"--source", "file:" + path, "--push", "unix:///x.sock", "--delegation", deleg + ".no"}, 2,
			"gslb-syncer: open " + deleg + ".no: no such file or directory\n"},
		{"probe-lease without --health-listen", []string{"--source", "kubernetes:/k?probe-lease=gslb/probes", "--push", "unix:///x.sock"}, 2,
			"gslb-syncer: --source option probe-lease needs --health-listen (where the probe leader serves its health)\n"},
		{"--health-listen without probe-lease", []string{"--source", "kubernetes:/k", "--push", "unix:///x.sock", "--health-listen", "127.0.0.1:0"}, 2,
			"gslb-syncer: --health-listen 127.0.0.1:0: needs the --source option probe-lease=NAMESPACE/NAME (one Lease per site)\n"},
		{"--health-listen with a file", []string{"--source", "file:" + path, "--push", "unix:///x.sock", "--health-listen", "127.0.0.1:0"}, 2,
			"gslb-syncer: --health-listen needs a kubernetes source with the probe-lease option\n"},
		{"--health-listen in the clear off loopback", []string{"--source", "kubernetes:/k?probe-lease=gslb/probes", "--push", "unix:///x.sock", "--health-listen", "0.0.0.0:0"}, 2,
			"gslb-syncer: --health-listen 0.0.0.0:0: the health stream without mutual TLS listens on loopback only\n"},
		{"stray argument", []string{"--source", "file:" + path, "--push", "unix:///x.sock", "extra"}, 2, `gslb-syncer: unexpected argument "extra"` + "\n"},
		{"missing file", []string{"--source", "file:" + filepath.Join(dir, "nope.yaml"), "--push", "unix:///x.sock"}, 1, "no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			code := run(context.Background(), tt.args, &stderr)
			if code != tt.code {
				t.Errorf("exit code %d, want %d", code, tt.code)
			}
			if got := stderr.String(); !strings.Contains(got, tt.want) || (tt.want[len(tt.want)-1] == '\n' && got != tt.want) {
				t.Errorf("stderr\n%q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestInvalidFileAtStartup(t *testing.T) {
	dir := t.TempDir()
	srv, err := fakeplugin.Listen(filepath.Join(dir, "gslb.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	path := filepath.Join(dir, "members.yaml")
	writeFile(t, path, strings.Replace(members, "weight: 4", "weight: -4", 1))

	var stderr bytes.Buffer
	code := run(context.Background(), []string{"--source", "file:" + path, "--push", "unix://" + filepath.Join(dir, "gslb.sock")}, &stderr)
	if code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	want := "gslb-syncer: " + path + `:6: record "hello.avi.iberia.local.": member 2 (127.0.0.12 in s1az2): weight -4 must be between 0 and 1000` + "\n"
	if stderr.String() != want {
		t.Errorf("stderr\n%q\nwant\n%q", stderr.String(), want)
	}
	if n := len(srv.Applies()); n != 0 {
		t.Errorf("%d pushes from an invalid file", n)
	}
}

// TestRun runs the syncer on a members file against two plugins: it pushes
// the table, follows edits, ignores an invalid one, and stops cleanly.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	var srvs []*fakeplugin.Server
	var args []string
	path := filepath.Join(dir, "members.yaml")
	writeFile(t, path, members)
	args = append(args, "--source", "file:"+path, "--log-level", "debug")
	for _, name := range []string{"a.sock", "b.sock"} {
		srv, err := fakeplugin.Listen(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		srvs = append(srvs, srv)
		args = append(args, "--push", "unix://"+filepath.Join(dir, name))
	}
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	defer cancel()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	stderr := newLogBuffer()
	done := make(chan int, 1)
	go func() { done <- run(runCtx, args, stderr) }()

	waitApplies := func(what string, n int) []fakeplugin.Apply {
		t.Helper()
		for _, srv := range srvs {
			if err := srv.WaitApplies(ctx, func(a []fakeplugin.Apply) bool { return len(a) >= n }); err != nil {
				t.Fatalf("%s: %v; applies %v\n%s", what, err, srv.Applies(), stderr)
			}
		}
		return srvs[0].Applies()
	}

	a := waitApplies("first push", 1)
	if a[0].Kind != gslbv1.Kind_KIND_FULL || len(a[0].Upserts) != 2 {
		t.Errorf("first push %v, want a FULL of 2 records", a[0])
	}

	writeFile(t, path, strings.Replace(members, "weight: 4", "weight: 5", 1))
	a = waitApplies("the edit", 2)
	if a[1].Kind != gslbv1.Kind_KIND_DELTA || len(a[1].Upserts) != 1 || a[1].Upserts[0] != "hello.avi.iberia.local." {
		t.Errorf("push of the edit %v, want a DELTA of hello.avi.iberia.local.", a[1])
	}

	writeFile(t, path, members+"  - fqdn: bad.avi.iberia.local\n    tll: 5\n")
	if !stderr.waitFor(ctx, path+`:10: record \"bad.avi.iberia.local.\": unknown key \"tll\"`) {
		t.Fatalf("the invalid edit was not logged:\n%s", stderr)
	}

	writeFile(t, path, "records: []\n")
	a = waitApplies("emptying", 3)
	if a[2].Kind != gslbv1.Kind_KIND_DELTA || len(a[2].Deletes) != 2 {
		t.Errorf("push of the empty table %v, want a DELTA of 2 deletes", a[2])
	}
	for _, srv := range srvs {
		if n := len(srv.Table()); n != 0 {
			t.Errorf("a plugin holds %d records, want 0", n)
		}
	}

	stop()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code %d, want 0", code)
		}
	case <-ctx.Done():
		t.Fatal("run did not return after its context ended")
	}
	log := stderr.String()
	for _, want := range []string{"level=INFO msg=applied", "kind=FULL", "kind=DELTA", "gslb-syncer stopped"} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q:\n%s", want, log)
		}
	}
}
