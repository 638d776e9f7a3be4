package e2e

import (
	"errors"
	"fmt"
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

	"github.com/gslbdns/gslb/syncer/filesource"
	"github.com/gslbdns/gslb/test/e2e/harness"

	"github.com/miekg/dns"
)

// The demo (`make run`): corefile-examples/demo/run.sh with bash and the two
// binaries only (no dig, no curl on PATH). Its ports are fixed (1053, 8080,
// 8181, 9153, 9154), so as root it runs in a private network namespace; otherwise
// those ports must be free on this machine.
func TestDemoRunScript(t *testing.T) {
	t.Parallel()
	script := filepath.Join(harness.RepoRoot(t), "corefile-examples", "demo", "run.sh")
	harness.Bin(t, "coredns-gslb")
	harness.Bin(t, "gslb-syncer")

	t.Run("serves and stops on Ctrl-C", func(t *testing.T) {
		ns := demoNetNS(t)
		p := startDemo(t, script, ns)
		awaitDemo(t, p)
		out := p.Log()
		for _, want := range []string{"dig @127.0.0.1 -p 1053 hello.avi.iberia.local", "curl -s 127.0.0.1:9153/metrics | grep gslb", "members.yaml"} {
			if !strings.Contains(out, want) {
				t.Errorf("run.sh output does not show %q:\n%s", want, out)
			}
		}

		// The demo's members file says what the split must be.
		w := demoWeights(t)
		_, cycle := cycleOf(w)
		cl := dialDemo(t, ns, "127.0.0.1:1053", "udp")
		expectSplit(t, cl, 20*cycle, w)
		expectSplit(t, dialDemo(t, ns, "127.0.0.1:1053", "tcp"), 20*cycle, w)
		r, err := cl.Exchange(static, dns.TypeA)
		if err != nil {
			t.Fatal(err)
		}
		if ip, _, err := harness.OneA(r); err != nil || ip.String() != staticIP {
			t.Errorf("test.avi.iberia.local: %s", harness.Brief(r))
		}
		code, body, err := demoHTTPGet(ns, "http://127.0.0.1:9153/metrics")
		if err != nil || code != 200 || !strings.Contains(body, "gslb") {
			t.Errorf("metrics: %d (%v), with gslb series: %v", code, err, strings.Contains(body, "gslb"))
		}

		dir, pids := demoDirAndPids(t, out)
		p.Signal(os.Interrupt) // Ctrl-C
		if code := p.Wait(30 * time.Second); code != 0 {
			t.Errorf("run.sh exited with status %d on Ctrl-C, want 0\n%s", code, p.Tail(20))
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("GSLB_DEMO_DIR %s is still there after Ctrl-C (%v)", dir, err)
		}
		for _, pid := range pids {
			if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
				t.Errorf("pid %d still exists after Ctrl-C (%v)", pid, err)
			}
		}
	})

	t.Run("a binary that exits early", func(t *testing.T) {
		ns := demoNetNS(t)
		// Hold the DNS port, so that coredns-gslb cannot bind it.
		var held []interface{ Close() error }
		hold := func() {
			if l, err := net.Listen("tcp", "127.0.0.1:1053"); err == nil {
				held = append(held, l)
			}
			if c, err := net.ListenPacket("udp", "127.0.0.1:1053"); err == nil {
				held = append(held, c)
			}
		}
		if ns != nil {
			ns.Do(hold)
		} else {
			hold()
		}
		t.Cleanup(func() {
			for _, c := range held {
				c.Close()
			}
		})
		p := startDemo(t, script, ns)
		if code := p.Wait(60 * time.Second); code == 0 {
			t.Errorf("run.sh exited with status 0, want non-zero, when coredns-gslb cannot start")
		}
		out := p.Log()
		if !strings.Contains(out, "coredns exited early") || !strings.Contains(out, "address already in use") {
			t.Errorf("run.sh did not report coredns-gslb's failure with its log:\n%s", out)
		}
		if dir := regexp.MustCompile(`(/\S+/gslb-demo\.\w+)/`).FindStringSubmatch(out); dir != nil {
			if _, err := os.Stat(dir[1]); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("GSLB_DEMO_DIR %s is still there (%v)", dir[1], err)
			}
		}
	})
}

// awaitDemo waits until run.sh has printed its instructions: the demo
// serves.
func awaitDemo(t *testing.T, p *harness.Process) {
	t.Helper()
	harness.Eventually(t, 60*time.Second, func() error {
		if p.Exited() {
			return harness.Permanent(fmt.Errorf("run.sh exited with %s", p.ExitText()))
		}
		if !strings.Contains(p.Log(), "Press Ctrl-C to stop.") {
			return errors.New("run.sh has not printed its instructions yet")
		}
		return nil
	})
}

// demoNetNS returns a private network namespace when the test may make one,
// else nil (the host's).
func demoNetNS(t *testing.T) *harness.NetNS {
	if harness.CanNetNS() {
		return harness.NewNetNS(t)
	}
	t.Log("not root: running the demo in the host network namespace (ports 1053, 8080, 8181, 9153, 9154 must be free)")
	return nil
}

// startDemo runs run.sh with a PATH that holds bash and the few coreutils it
// uses, and nothing else (no dig, no curl); env is added to its environment.
func startDemo(t *testing.T, script string, ns *harness.NetNS, env ...string) *harness.Process {
	t.Helper()
	pathDir := t.TempDir()
	for _, tool := range []string{"bash", "cat", "dirname", "mktemp", "rm", "sed", "sleep", "tail"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Fatalf("%s not found: %v", tool, err)
		}
		if err := os.Symlink(p, filepath.Join(pathDir, tool)); err != nil {
			t.Fatal(err)
		}
	}
	return harness.StartProcess(t, harness.Cmd{
		Name:  "run.sh",
		Path:  script,
		Env:   append([]string{"PATH=" + pathDir, "HOME=" + t.TempDir(), "GSLB_BIN=" + harness.BinDir(t)}, env...),
		NetNS: ns,
	})
}

func dialDemo(t *testing.T, ns *harness.NetNS, addr, proto string) *harness.Client {
	if ns != nil {
		return ns.Dial(t, addr, proto)
	}
	return harness.Dial(t, addr, proto)
}

func demoHTTPGet(ns *harness.NetNS, url string) (int, string, error) {
	if ns != nil {
		return ns.HTTPGet(url)
	}
	return harness.HTTPGet(url)
}

// demoWeights reads hello's weights from the demo's members file.
func demoWeights(t *testing.T) [3]uint32 {
	t.Helper()
	path := filepath.Join(harness.RepoRoot(t), "corefile-examples", "demo", "members.yaml")
	recs, err := filesource.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.GetFqdn() != hello {
			continue
		}
		var w [3]uint32
		if len(r.GetMembers()) != 3 {
			t.Fatalf("%s: hello has %d members; this test expects the scenario's 3", path, len(r.GetMembers()))
		}
		for i, m := range r.GetMembers() {
			if m.GetAddress() != members[i] {
				t.Fatalf("%s: hello's member %d is %s; this test expects %v", path, i+1, m.GetAddress(), members)
			}
			w[i] = m.GetWeight()
		}
		return w
	}
	t.Fatalf("%s has no %s", path, hello)
	return [3]uint32{}
}

// demoDirAndPids reads GSLB_DEMO_DIR and the two pids from run.sh's output.
func demoDirAndPids(t *testing.T, out string) (string, []int) {
	t.Helper()
	dir := regexp.MustCompile(`Logs: (\S+)/coredns\.log`).FindStringSubmatch(out)
	if dir == nil {
		t.Fatalf("run.sh output names no log directory:\n%s", out)
	}
	var pids []int
	for _, m := range regexp.MustCompile(`\(pid (\d+)\)`).FindAllStringSubmatch(out, -1) {
		n, _ := strconv.Atoi(m[1])
		pids = append(pids, n)
	}
	if len(pids) != 2 {
		t.Fatalf("run.sh output names %d pids, want 2:\n%s", len(pids), out)
	}
	return dir[1], pids
}
