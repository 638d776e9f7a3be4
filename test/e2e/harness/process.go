package harness

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gslbdns/gslb/test/internal/testhost"
)

// StopTimeout is how long Stop waits after SIGTERM before it kills.
const StopTimeout = 20 * time.Second

// Process is one binary run by a test, possibly restarted. Its stdout and
// stderr go to a log file in the test's temporary directory (every run is
// appended, after a header line); the tail of that log is printed when the
// test fails. t.Cleanup stops it, and reports an exit nobody asked for.
// Each run is a testhost.Proc.
type Process struct {
	Name    string // for messages: "coredns-gslb", "gslb-syncer"
	LogPath string

	t   testing.TB
	cmd Cmd

	mu   sync.Mutex
	cur  *testhost.Proc
	runs int
}

// Cmd describes a process for StartProcess.
type Cmd struct {
	Name string   // for messages and the log file name; default: base of Path
	Path string   // the executable
	Args []string // arguments, without the program name
	Dir  string   // working directory and log directory; default: t.TempDir()
	// Env, when not nil, is the whole environment of the process.
	Env []string
	// NetNS, when not nil, runs the process in that network namespace.
	NetNS *NetNS
}

// StartProcess starts any command the harness way: its output in a log file
// printed on failure, stopped by t.Cleanup, an unexpected exit reported.
func StartProcess(t testing.TB, c Cmd) *Process {
	t.Helper()
	p := newProcess(t, c)
	if err := p.start(); err != nil {
		t.Fatalf("harness: %v", err)
	}
	return p
}

// newProcess prepares a process and registers its cleanups; it does not start it.
func newProcess(t testing.TB, c Cmd) *Process {
	t.Helper()
	if c.Name == "" {
		c.Name = filepath.Base(c.Path)
	}
	if c.Dir == "" {
		c.Dir = t.TempDir()
	}
	p := &Process{
		Name:    c.Name,
		LogPath: filepath.Join(c.Dir, c.Name+".log"),
		t:       t,
		cmd:     c,
	}
	// Cleanups run last-registered first: stop, then print the log (which
	// then includes the shutdown messages).
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("--- tail of %s log (%s) ---\n%s", p.Name, p.LogPath, p.Tail(80))
		}
	})
	t.Cleanup(p.cleanup)
	return p
}

// cleanup stops a running process, or reports an exit nobody asked for.
func (p *Process) cleanup() {
	r := p.current()
	if r == nil {
		return
	}
	if !r.Exited() {
		p.Stop()
		return
	}
	if err := r.UnexpectedExit(); err != nil {
		p.t.Errorf("harness: %s exited unexpectedly during the test: %s", p.Name, r.ExitText())
	}
}

// start starts a new run of the process.
func (p *Process) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cur != nil && !p.cur.Exited() {
		return fmt.Errorf("%s is already running (pid %d)", p.Name, p.cur.Pid())
	}
	spec := testhost.Spec{
		Label:   fmt.Sprintf("harness: run %d", p.runs+1),
		Path:    p.cmd.Path,
		Args:    p.cmd.Args,
		Dir:     p.cmd.Dir,
		Env:     p.cmd.Env,
		LogPath: p.LogPath,
	}
	if ns := p.cmd.NetNS; ns != nil {
		// Started from the namespace's thread, the child is born in it.
		spec.Launch = func(start func() error) (err error) {
			ns.Do(func() { err = start() })
			return err
		}
	}
	r, err := testhost.Start(spec)
	if err != nil {
		return err
	}
	p.runs++
	p.cur = r
	return nil
}

func (p *Process) current() *testhost.Proc {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cur
}

// markExpected marks the exit of the current run as asked for.
func (p *Process) markExpected() {
	if r := p.current(); r != nil {
		r.Expect()
	}
}

// Pid is the process id of the current run, or 0.
func (p *Process) Pid() int {
	if r := p.current(); r != nil {
		return r.Pid()
	}
	return 0
}

// Exited reports whether the current run has ended.
func (p *Process) Exited() bool {
	r := p.current()
	return r != nil && r.Exited()
}

// Done is closed when the current run ends.
func (p *Process) Done() <-chan struct{} {
	if r := p.current(); r != nil {
		return r.Done()
	}
	return nil
}

// ExitCode is the exit status of the ended current run: -1 when it was
// killed by a signal or is still running.
func (p *Process) ExitCode() int {
	if r := p.current(); r != nil {
		return r.ExitCode()
	}
	return -1
}

// ExitText describes how the current run ended ("running" if it did not).
func (p *Process) ExitText() string {
	if r := p.current(); r != nil {
		return r.ExitText()
	}
	return "never started"
}

// Stderr is what the current run wrote to stderr so far.
func (p *Process) Stderr() string {
	if r := p.current(); r != nil {
		return r.Stderr()
	}
	return ""
}

// Log is the whole log file (every run).
func (p *Process) Log() string {
	b, _ := os.ReadFile(p.LogPath)
	return string(b)
}

// Tail is the last n lines of the log.
func (p *Process) Tail(n int) string { return testhost.Tail([]byte(p.Log()), n) }

// Wait waits at most timeout for the current run to exit by itself and
// returns its exit code (-1 for a signal). It fails the test on timeout.
func (p *Process) Wait(timeout time.Duration) int {
	p.t.Helper()
	r := p.current()
	if r == nil {
		p.t.Fatalf("harness: %s was never started", p.Name)
	}
	select {
	case <-r.Done():
	case <-time.After(timeout):
		p.t.Fatalf("harness: %s (pid %d) still running after %v", p.Name, r.Pid(), timeout)
	}
	r.Expect()
	return r.ExitCode()
}

// Signal sends sig to the current run, marking its exit as expected.
func (p *Process) Signal(sig os.Signal) {
	p.t.Helper()
	if r := p.current(); r != nil {
		if err := r.Signal(sig); err != nil {
			p.t.Errorf("harness: %v", err)
		}
	}
}

// Stop sends SIGTERM and waits for the exit (SIGKILL and a test error after
// StopTimeout). It returns the exit code (-1 for a signal). Stopping an ended
// process only returns its exit code.
func (p *Process) Stop() int {
	p.t.Helper()
	r := p.current()
	if r == nil {
		return -1
	}
	if err := r.Stop(StopTimeout); err != nil {
		p.t.Errorf("harness: %s: %v", p.Name, err)
	}
	return r.ExitCode()
}

// Kill sends SIGKILL (kill -9) and waits for the exit.
func (p *Process) Kill() {
	p.t.Helper()
	if r := p.current(); r != nil {
		if err := r.Kill(); err != nil {
			p.t.Errorf("harness: %v", err)
		}
	}
}
