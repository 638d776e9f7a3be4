package e2e

// The status page (syncer/statuspage) in a real browser: headless Chromium
// (Debian's chromium, installed by test/tools/ensure-deb.sh when missing)
// driven over the DevTools protocol, on the demo of `make run`.

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gslbdns/gslb/test/e2e/harness"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/miekg/dns"
)

// The demo's status page, as run.sh prints it.
const demoStatusURL = "http://127.0.0.1:9154/status/"

// memberRow is one member's row of hello on the page, as the browser shows it.
type memberRow struct {
	Member  string `json:"member"`
	Health  string `json:"health"`
	Drained string `json:"drained"`
	Share   string `json:"share"`
	Text    string `json:"text"`
}

// helloRows reads hello's member rows from the page shown.
const helloRows = `Array.from(document.querySelectorAll('article[data-fqdn="hello.avi.iberia.local."] tr.member')).map(tr => ({
  member: tr.dataset.member, health: tr.dataset.health, drained: tr.dataset.drained,
  share: tr.querySelector("td.share").dataset.share, text: tr.innerText}))`

func TestStatusPageBrowser(t *testing.T) {
	chromium := ensureChromium(t)
	script := filepath.Join(harness.RepoRoot(t), "corefile-examples", "demo", "run.sh")
	harness.Bin(t, "coredns-gslb")
	harness.Bin(t, "gslb-syncer")
	harness.Bin(t, "demosite")
	shots := screenshotDir(t)

	// The demo's members file, copied so that the test can drain a cluster.
	membersFile := filepath.Join(t.TempDir(), "members.yaml")
	orig, err := os.ReadFile(filepath.Join(harness.RepoRoot(t), "corefile-examples", "demo", "members.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	writeAtomic(t, membersFile, orig)

	ns := demoNetNS(t)
	p := startDemo(t, script, ns, "GSLB_DEMO_MEMBERS="+membersFile)
	awaitDemo(t, p)
	if !strings.Contains(p.Log(), "Status page (records, members, health, the live split): "+demoStatusURL) {
		t.Fatalf("run.sh does not print the status page's URL %s:\n%s", demoStatusURL, p.Log())
	}
	sites := demoSitePids(t, p.Log())
	askContinuously(t, ns)
	base := forwardInto(t, ns, "127.0.0.1:9154") + "/status/"

	ctx := browser(t, chromium)
	outer := t
	t.Run("lists hello with three members, all up and answered", func(t *testing.T) {
		run(t, ctx, chromedp.Navigate(base), chromedp.WaitVisible(`article[data-fqdn="hello.avi.iberia.local."]`))
		rows := waitRows(t, ctx, 30*time.Second, func(rows []memberRow) error {
			if len(rows) != 3 {
				return fmt.Errorf("%d member rows, want 3", len(rows))
			}
			for i, r := range rows {
				if r.Member != members[i] || r.Health != "up" || r.Share == "" || r.Share == "0%" {
					return fmt.Errorf("row %d: %+v, want %s up with a share of the answers", i, r, members[i])
				}
			}
			return nil
		})
		t.Logf("rows: %+v", rows)
	})

	t.Run("keyboard: skip link, search box, search", func(t *testing.T) {
		run(t, ctx, chromedp.Navigate(base), chromedp.WaitVisible(`#q`), chromedp.KeyEvent(kb.Tab))
		if active := eval[string](t, ctx, `document.activeElement.className`); active != "skip" {
			t.Errorf("first Tab focuses %q, want the skip link", active)
		}
		run(t, ctx, chromedp.KeyEvent(kb.Tab))
		if active := eval[string](t, ctx, `document.activeElement.getAttribute("href")`); active != "/status/" {
			t.Fatalf("second Tab focuses %q, want the home link", active)
		}
		run(t, ctx, chromedp.KeyEvent(kb.Tab))
		if active := eval[string](t, ctx, `document.activeElement.id`); active != "q" {
			t.Fatalf("third Tab focuses %q, want the search box", active)
		}
		run(t, ctx, chromedp.KeyEvent("hello"), chromedp.KeyEvent(kb.Enter))
		harness.Eventually(t, 10*time.Second, func() error {
			search, err := chromedp.Run(ctx, chromedp.Location())
			if err != nil {
				return err
			}
			n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("article.record").length`))
			if err != nil {
				return err
			}
			if !strings.Contains(search, "q=hello") || n != 1 {
				return fmt.Errorf("at %s with %d records, want the search for hello with 1", search, n)
			}
			return nil
		})
	})

	t.Run("a record's page explains a typed client address", func(t *testing.T) {
		run(t, ctx, chromedp.Navigate(base+"record?name=hello.avi.iberia.local."), chromedp.WaitVisible(`#client`),
			chromedp.Click(`#client`), chromedp.KeyEvent("192.0.2.1"), chromedp.KeyEvent(kb.Enter))
		var explain string
		harness.Eventually(t, 10*time.Second, func() error {
			var err error
			explain, err = chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector(".explain") || {innerText: ""}).innerText`))
			if err != nil {
				return err
			}
			if !strings.Contains(explain, "For client 192.0.2.1/32") || !strings.Contains(explain, "Answer: one of 127.0.0.11 (6), 127.0.0.12 (4), 127.0.0.13 (2), by weight.") {
				return fmt.Errorf("the explanation says %q", explain)
			}
			return nil
		})
	})

	t.Run("a stopped member shows down with its reason and no share", func(t *testing.T) {
		run(t, ctx, chromedp.Navigate(base+"record?name=hello.avi.iberia.local."), chromedp.WaitVisible(`svg.chart`))
		if err := syscall.Kill(sites["s1az1"], syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		// Thawed when the whole test ends: the later steps see it down.
		outer.Cleanup(func() { syscall.Kill(sites["s1az1"], syscall.SIGCONT) })
		stopped := time.Now()
		// Down after 3 failed probes (timeout 1 s, every 2 s: within 7 s),
		// shown at the page's next poll (2 s), without a reload.
		waitRows(t, ctx, 7*time.Second+2*time.Second+5*time.Second, func(rows []memberRow) error {
			r := rows[0]
			if r.Health != "down" || !strings.Contains(r.Text, "✖ down") || !strings.Contains(r.Text, "timeout") {
				return fmt.Errorf("%s: %+v, want ✖ down with the probe's timeout", r.Member, r)
			}
			return nil
		})
		t.Logf("127.0.0.11 shown down %v after SIGSTOP", time.Since(stopped).Round(100*time.Millisecond))
		// The chart: the next whole interval scraped (every 5 s) has no
		// answer with it.
		waitRows(t, ctx, 25*time.Second, func(rows []memberRow) error {
			if rows[0].Share != "0%" || rows[1].Share == "0%" || rows[2].Share == "0%" {
				return fmt.Errorf("shares %s %s %s, want 0%% for 127.0.0.11 and the others > 0", rows[0].Share, rows[1].Share, rows[2].Share)
			}
			return nil
		})
		legend := eval[string](t, ctx, `document.querySelector("ul.legend li").innerText`)
		if !strings.Contains(legend, "127.0.0.11: 0% of the last interval's answers (0)") {
			t.Errorf("the chart's legend says %q, want 0%% for 127.0.0.11", legend)
		}
		t.Logf("127.0.0.11 at 0%% of the answers %v after SIGSTOP", time.Since(stopped).Round(100*time.Millisecond))
		screenshot(t, ctx, filepath.Join(shots, "statuspage-record.png"))
	})

	t.Run("a drained member shows drained", func(t *testing.T) {
		drained := append(append([]byte{}, orig...), []byte("drained:\n  clusters: [s2]\n")...)
		writeAtomic(t, membersFile, drained)
		run(t, ctx, chromedp.Navigate(base), chromedp.WaitVisible(`article[data-fqdn="hello.avi.iberia.local."]`))
		waitRows(t, ctx, 15*time.Second, func(rows []memberRow) error {
			r := rows[2]
			if r.Drained != "true" || !strings.Contains(r.Text, "⊘ drained") || !strings.Contains(r.Text, "drained in the members file") {
				return fmt.Errorf("%s: %+v, want ⊘ drained", r.Member, r)
			}
			return nil
		})
		screenshot(t, ctx, filepath.Join(shots, "statuspage.png"))
	})

	t.Run("gslbctl status reads the same JSON", func(t *testing.T) {
		out, code := gslbctl(t, "status", "--syncer", strings.TrimSuffix(base, "/status/"), "--search", "hello")
		if code != 0 {
			t.Fatalf("gslbctl status: exit %d\n%s", code, out)
		}
		t.Logf("gslbctl status:\n%s", out)
		for _, want := range []string{"1 of 2 records matching \"hello\"", "hello.avi.iberia.local.", "127.0.0.13", "site2/s2",
			"2→0", "down,drained", "drained in the members file", "probes: alone", "synced"} {
			if !strings.Contains(out, want) {
				t.Errorf("gslbctl status does not say %q:\n%s", want, out)
			}
		}
	})

	t.Run("the tables without JavaScript", func(t *testing.T) {
		nojs, cancel := chromedp.NewContext(ctx)
		defer cancel()
		if _, err := chromedp.Call(nojs, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
			t.Fatal(err)
		}
		run(t, nojs, chromedp.Navigate(base), chromedp.WaitVisible(`article[data-fqdn="hello.avi.iberia.local."]`))
		rows := eval[[]memberRow](t, nojs, helloRows)
		if js := eval[string](t, nojs, `document.body.dataset.updated || ""`); js != "" {
			t.Errorf("the page's script ran with JavaScript disabled")
		}
		if len(rows) != 3 || rows[0].Health != "down" || rows[2].Drained != "true" || !strings.Contains(rows[2].Text, "⊘ drained") {
			t.Errorf("without JavaScript: %+v", rows)
		}
	})
}

// ensureChromium installs Debian's chromium when missing (failing loudly
// when it cannot) and returns its path.
func ensureChromium(t *testing.T) string {
	t.Helper()
	ensure := filepath.Join(harness.RepoRoot(t), "test", "tools", "ensure-deb.sh")
	if out, err := exec.Command(ensure, "chromium", "chromium").CombinedOutput(); err != nil {
		t.Fatalf("headless Chromium is needed for the status page's browser test: %v\n%s", err, out)
	}
	p, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	return p
}

// browser starts headless Chromium as root may run it, closed at cleanup.
func browser(t *testing.T, path string) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1400, 1000))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelA() })
	// Start the browser now, on ctx itself: the first call's context is the
	// browser's life.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting headless Chromium (%s): %v", path, err)
	}
	return ctx
}

// run runs browser actions, bounded.
func run(t *testing.T, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(tctx, actions...); err != nil {
		t.Fatalf("browser: %v", err)
	}
}

// eval evaluates a JavaScript expression in the page shown.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("browser: %s: %v", expr, err)
	}
	return v
}

// waitRows polls hello's rows on the page shown until ok accepts them.
func waitRows(t *testing.T, ctx context.Context, timeout time.Duration, ok func([]memberRow) error) []memberRow {
	t.Helper()
	var rows []memberRow
	harness.Eventually(t, timeout, func() error {
		var err error
		if rows, err = chromedp.Run(ctx, chromedp.Evaluate[[]memberRow](helloRows)); err != nil {
			return err
		}
		if len(rows) != 3 {
			return fmt.Errorf("%d member rows of hello, want 3", len(rows))
		}
		return ok(rows)
	})
	return rows
}

func screenshot(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("browser: screenshot: %v", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", path, len(png))
}

// screenshotDir is where the screenshots go: $GSLB_SCREENSHOTS, or a
// directory under the system's temporary one, kept after the test.
func screenshotDir(t *testing.T) string {
	dir := os.Getenv("GSLB_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "gslb-e2e-screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func writeAtomic(t *testing.T, path string, b []byte) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// demoSitePids reads the demo sites' pids from run.sh's output, by cluster.
func demoSitePids(t *testing.T, out string) map[string]int {
	t.Helper()
	pids := map[string]int{}
	for _, m := range regexp.MustCompile(`site (\S+)\s+http://\S+\s+demosite pid (\d+)`).FindAllStringSubmatch(out, -1) {
		pids[m[1]], _ = strconv.Atoi(m[2])
	}
	if len(pids) != 3 {
		t.Fatalf("run.sh names %d demo sites, want 3:\n%s", len(pids), out)
	}
	return pids
}

// askContinuously queries hello about 200 times a second until the test
// ends: the answers the page's chart counts.
func askContinuously(t *testing.T, ns *harness.NetNS) {
	cl := dialDemo(t, ns, "127.0.0.1:1053", "udp")
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				_, _ = cl.Exchange(hello, dns.TypeA)
			}
		}
	}()
	t.Cleanup(func() { close(done); <-stopped })
}

// forwardInto returns http://ADDR of a listener on this namespace's
// loopback that forwards each connection to addr inside ns (the browser
// runs here, the demo there); addr itself when ns is nil.
func forwardInto(t *testing.T, ns *harness.NetNS, addr string) string {
	t.Helper()
	if ns == nil {
		return "http://" + addr
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				var up net.Conn
				ns.Do(func() { up, err = net.Dial("tcp", addr) })
				if err != nil {
					return
				}
				defer up.Close()
				go func() { _, _ = io.Copy(up, c); up.(*net.TCPConn).CloseWrite() }()
				_, _ = io.Copy(c, up)
			}()
		}
	}()
	return "http://" + l.Addr().String()
}
