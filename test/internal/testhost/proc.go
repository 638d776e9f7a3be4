package testhost

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Spec describes one run of a child process for Start.
type Spec struct {
	// Label names the run in the header and footer lines written to the
	// log, e.g. "harness: run 2" or "k8senv: etcd".
	Label   string
	Path    string   // the executable
	Args    []string // arguments, without the program name
	Dir     string   // working directory; "" is this process's
	Env     []string // the whole environment when not nil
	LogPath string   // stdout and stderr are appended here
	// Detached gives the child its own session, so that it outlives this
	// process (a lab). Otherwise the kernel kills the child should this
	// process die without stopping it (a panic, a test timeout).
	Detached bool
	// Launch, when set, is called with the function that starts the
	// process, e.g. to start it from a network namespace's thread.
	Launch func(start func() error) error
}

// Proc is one run of a child process, its output appended to a log file
// after a header line (Spec.Label, the time, the command line) and followed
// by a footer line saying how it ended.
type Proc struct {
	spec    Spec
	logFrom int64 // size of the log when this run started
	cmd     *exec.Cmd
	stderr  syncBuffer
	done    chan struct{} // closed when the process has exited

	mu       sync.Mutex
	state    *os.ProcessState // set before done is closed
	waitErr  error
	expected bool // the exit was asked for or waited for
}

// Start starts the process described by s.
func Start(s Spec) (*Proc, error) {
	logf, err := os.OpenFile(s.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	fi, err := logf.Stat()
	if err != nil {
		logf.Close()
		return nil, err
	}
	p := &Proc{spec: s, logFrom: fi.Size(), done: make(chan struct{})}
	fmt.Fprintf(logf, "=== %s at %s: %s %s\n", s.Label, stamp(), s.Path, strings.Join(s.Args, " "))
	p.cmd = p.command(logf)
	if err := p.launch(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("starting %s: %v", s.Path, err)
	}
	go p.wait(logf)
	return p, nil
}

func stamp() string { return time.Now().Format("2006-01-02 15:04:05.000") }

func (p *Proc) command(logf *os.File) *exec.Cmd {
	cmd := exec.Command(p.spec.Path, p.spec.Args...)
	cmd.Dir = p.spec.Dir
	cmd.Env = p.spec.Env
	cmd.Stdout = logf
	cmd.Stderr = io.MultiWriter(logf, &p.stderr)
	cmd.WaitDelay = 5 * time.Second
	if p.spec.Detached {
		// The log file itself, not a pipe to this process: a pipe breaks
		// when this process exits, and the child's next write to stderr
		// would kill it (SIGPIPE). Stderr stays empty.
		cmd.Stderr = logf
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	} else {
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	}
	return cmd
}

func (p *Proc) launch() error {
	if p.spec.Launch != nil {
		return p.spec.Launch(p.cmd.Start)
	}
	return p.cmd.Start()
}

// wait reaps the process, writes the footer and closes done.
func (p *Proc) wait(logf *os.File) {
	err := p.cmd.Wait()
	p.mu.Lock()
	p.state, p.waitErr = p.cmd.ProcessState, err
	p.mu.Unlock()
	fmt.Fprintf(logf, "=== %s ended at %s: %s\n", p.spec.Label, stamp(), p.ExitText())
	logf.Close()
	close(p.done)
}

// Label is Spec.Label, for messages.
func (p *Proc) Label() string { return p.spec.Label }

// LogPath is the log file (Spec.LogPath).
func (p *Proc) LogPath() string { return p.spec.LogPath }

// Pid is the process id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Done is closed when the process has exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Exited reports whether the process has exited.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// ExitCode is the exit status: -1 while it runs or when a signal ended it.
func (p *Proc) ExitCode() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state == nil {
		return -1
	}
	return p.state.ExitCode()
}

// ExitText says how the process ended ("exit status 1", "signal: killed").
func (p *Proc) ExitText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.state != nil:
		return p.state.String()
	case p.waitErr != nil:
		return fmt.Sprintf("wait error %v", p.waitErr)
	}
	return "running"
}

// Expect marks an exit as asked for: UnexpectedExit no longer reports it.
func (p *Proc) Expect() {
	p.mu.Lock()
	p.expected = true
	p.mu.Unlock()
}

// UnexpectedExit returns an error when the process has ended without
// Expect, Signal or Stop, with the end of its log.
func (p *Proc) UnexpectedExit() error {
	p.mu.Lock()
	expected := p.expected
	p.mu.Unlock()
	if expected || !p.Exited() {
		return nil
	}
	return fmt.Errorf("%s exited unexpectedly (%s); the end of its log %s:\n%s",
		p.spec.Label, p.ExitText(), p.spec.LogPath, Tail(p.RunLog(), 20))
}

// Stderr is what this run has written to stderr so far; empty for a
// Detached run (its stderr goes to the log only: see RunLog).
func (p *Proc) Stderr() string { return p.stderr.String() }

// RunLog is what this run has written to the log so far.
func (p *Proc) RunLog() []byte {
	b, err := os.ReadFile(p.spec.LogPath)
	if err != nil || int64(len(b)) < p.logFrom {
		return nil
	}
	return b[p.logFrom:]
}

// PortTaken reports whether this run's log says a port it wanted to bind
// was taken ("address already in use"): the caller retries on new ports.
func (p *Proc) PortTaken() bool {
	return bytes.Contains(p.RunLog(), []byte("address already in use"))
}

// Signal sends sig, marking the exit as expected. Signalling an ended
// process is no error.
func (p *Proc) Signal(sig os.Signal) error {
	p.Expect()
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signalling %s: %v", p.spec.Label, err)
	}
	return nil
}

// Stop sends SIGTERM and waits for the exit; after timeout it sends SIGKILL
// and returns an error saying so. Stopping an ended process does nothing.
func (p *Proc) Stop(timeout time.Duration) error {
	if err := p.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-p.done:
		return nil
	case <-timer.C:
	}
	_ = p.cmd.Process.Kill()
	<-p.done
	return fmt.Errorf("%s (pid %d) did not exit within %v of SIGTERM and was killed", p.spec.Label, p.Pid(), timeout)
}

// Kill sends SIGKILL and waits for the exit.
func (p *Proc) Kill() error {
	err := p.Signal(syscall.SIGKILL)
	<-p.done
	return err
}

// Tail returns the last n lines of b, after a line counting the ones left out.
func Tail(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("[... %d earlier lines]", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(b)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
