package harness

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// StopTimeout is how long Stop waits after SIGTERM before it kills.
const StopTimeout = 20 * time.Second

// Process is one binary run by a test, possibly restarted. Its stdout and
// stderr go to a log file in the test's temporary directory (every run is
// appended, after a header line); the tail of that log is printed when the
// test fails. t.Cleanup stops it, and reports an exit nobody asked for.
type Process struct {
	Name    string // for messages: "coredns-gslb", "gslb-syncer"
	LogPath string

	t   testing.TB
	cmd Cmd

	mu   sync.Mutex
	cur  *run
	runs int
}

// run is one execution of the process.
type run struct {
	cmd    *exec.Cmd
	done   chan struct{} // closed when the process has exited
	state  *os.ProcessState
	err    error
	stderr syncBuffer
	// expected is set when the test stopped the process or waited for its
	// exit: an exit that is not expected is reported at cleanup.
	expected bool
}

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
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
	t.Cleanup(func() {
		p.mu.Lock()
		r := p.cur
		p.mu.Unlock()
		if r == nil {
			return
		}
		select {
		case <-r.done:
			p.mu.Lock()
			expected := r.expected
			p.mu.Unlock()
			if !expected {
				t.Errorf("harness: %s exited unexpectedly during the test: %s", p.Name, describeExit(r))
			}
		default:
			p.Stop()
		}
	})
	return p
}

// start starts a new run of the process.
func (p *Process) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cur != nil {
		select {
		case <-p.cur.done:
		default:
			return fmt.Errorf("%s is already running (pid %d)", p.Name, p.cur.cmd.Process.Pid)
		}
	}
	logf, err := os.OpenFile(p.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	p.runs++
	n := p.runs
	fmt.Fprintf(logf, "=== harness: run %d at %s: %s %s\n", n, time.Now().Format("15:04:05.000"),
		p.cmd.Path, strings.Join(p.cmd.Args, " "))
	r := &run{done: make(chan struct{})}
	cmd := exec.Command(p.cmd.Path, p.cmd.Args...)
	cmd.Dir = p.cmd.Dir
	cmd.Env = p.cmd.Env
	cmd.Stdout = logf
	cmd.Stderr = io.MultiWriter(logf, &r.stderr)
	cmd.WaitDelay = 5 * time.Second
	// Should the test binary die without its cleanups (a panic, a timeout),
	// the kernel kills the child rather than leaving it listening.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	r.cmd = cmd
	if p.cmd.NetNS != nil {
		// Started from the namespace's thread, the child is born in it.
		p.cmd.NetNS.Do(func() { err = cmd.Start() })
	} else {
		err = cmd.Start()
	}
	if err != nil {
		logf.Close()
		return fmt.Errorf("starting %s: %v", p.cmd.Path, err)
	}
	p.cur = r
	go func() {
		err := cmd.Wait()
		fmt.Fprintf(logf, "=== harness: run %d ended at %s: %s\n", n, time.Now().Format("15:04:05.000"), exitText(cmd.ProcessState, err))
		logf.Close()
		p.mu.Lock()
		r.state, r.err = cmd.ProcessState, err
		p.mu.Unlock()
		close(r.done)
	}()
	return nil
}

func exitText(st *os.ProcessState, err error) string {
	if st == nil {
		return fmt.Sprintf("wait error %v", err)
	}
	return st.String()
}

func describeExit(r *run) string { return exitText(r.state, r.err) }

func (p *Process) current() *run {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cur
}

// Pid is the process id of the current run, or 0.
func (p *Process) Pid() int {
	if r := p.current(); r != nil {
		return r.cmd.Process.Pid
	}
	return 0
}

// Exited reports whether the current run has ended.
func (p *Process) Exited() bool {
	r := p.current()
	if r == nil {
		return false
	}
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// Done is closed when the current run ends.
func (p *Process) Done() <-chan struct{} {
	if r := p.current(); r != nil {
		return r.done
	}
	return nil
}

// ExitCode is the exit status of the ended current run: -1 when it was
// killed by a signal or is still running.
func (p *Process) ExitCode() int {
	r := p.current()
	if r == nil {
		return -1
	}
	select {
	case <-r.done:
	default:
		return -1
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if r.state == nil {
		return -1
	}
	return r.state.ExitCode()
}

// Stderr is what the current run wrote to stderr so far.
func (p *Process) Stderr() string {
	if r := p.current(); r != nil {
		return r.stderr.String()
	}
	return ""
}

// Log is the whole log file (every run).
func (p *Process) Log() string {
	b, _ := os.ReadFile(p.LogPath)
	return string(b)
}

// Tail is the last n lines of the log.
func (p *Process) Tail(n int) string {
	lines := strings.Split(strings.TrimRight(p.Log(), "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("[... %d earlier lines]", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// Wait waits at most timeout for the current run to exit by itself and
// returns its exit code (-1 for a signal). It fails the test on timeout.
func (p *Process) Wait(timeout time.Duration) int {
	p.t.Helper()
	r := p.current()
	if r == nil {
		p.t.Fatalf("harness: %s was never started", p.Name)
	}
	select {
	case <-r.done:
	case <-time.After(timeout):
		p.t.Fatalf("harness: %s (pid %d) still running after %v", p.Name, r.cmd.Process.Pid, timeout)
	}
	p.mu.Lock()
	r.expected = true
	p.mu.Unlock()
	return p.ExitCode()
}

// Signal sends sig to the current run, marking its exit as expected.
func (p *Process) Signal(sig os.Signal) {
	p.t.Helper()
	r := p.current()
	if r == nil {
		return
	}
	p.mu.Lock()
	r.expected = true
	p.mu.Unlock()
	if err := r.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		p.t.Errorf("harness: signalling %s: %v", p.Name, err)
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
	p.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(StopTimeout):
		p.t.Errorf("harness: %s (pid %d) did not exit within %v of SIGTERM; killing it", p.Name, r.cmd.Process.Pid, StopTimeout)
		r.cmd.Process.Kill()
		<-r.done
	}
	return p.ExitCode()
}

// Kill sends SIGKILL (kill -9) and waits for the exit.
func (p *Process) Kill() {
	p.t.Helper()
	r := p.current()
	if r == nil {
		return
	}
	p.Signal(syscall.SIGKILL)
	<-r.done
}
