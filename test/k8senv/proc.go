package k8senv

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// StopTimeout is how long a stop waits after SIGTERM before it sends SIGKILL.
const StopTimeout = 20 * time.Second

// proc is one run of a server process, its output appended to a log file.
type proc struct {
	name    string // for messages: "etcd", "kube-apiserver s1"
	logPath string
	logFrom int64 // size of the log when this run started
	cmd     *exec.Cmd
	done    chan struct{} // closed when the process has exited
	err     error         // from Wait; read only after done

	mu       sync.Mutex
	expected bool // the exit was asked for (stop)
}

// startProc starts path with args, its stdout and stderr appended to
// logPath after a header line. A detached process gets its own session and
// outlives this one (a lab); otherwise the kernel kills it should this
// process die without cleaning up.
func startProc(name, logPath string, detached bool, path string, args ...string) (*proc, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	fi, err := logf.Stat()
	if err != nil {
		logf.Close()
		return nil, err
	}
	fmt.Fprintf(logf, "=== k8senv: starting %s at %s: %s %s\n", name, time.Now().Format(time.RFC3339Nano), path, strings.Join(args, " "))
	cmd := exec.Command(path, args...)
	cmd.Stdout = logf
	cmd.Stderr = logf
	if detached {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	} else {
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("starting %s: %v", name, err)
	}
	p := &proc{name: name, logPath: logPath, logFrom: fi.Size(), cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		fmt.Fprintf(logf, "=== k8senv: %s exited at %s: %s\n", name, time.Now().Format(time.RFC3339Nano), p.exitText())
		logf.Close()
		close(p.done)
	}()
	return p, nil
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// exitText describes how the process ended; call it only after done.
func (p *proc) exitText() string {
	if p.cmd.ProcessState != nil {
		return p.cmd.ProcessState.String()
	}
	return fmt.Sprintf("wait: %v", p.err)
}

// unexpectedExit returns an error when the process has ended without being
// asked to.
func (p *proc) unexpectedExit() error {
	p.mu.Lock()
	expected := p.expected
	p.mu.Unlock()
	if expected || !p.exited() {
		return nil
	}
	return fmt.Errorf("%s exited unexpectedly (%s); the end of its log %s:\n%s",
		p.name, p.exitText(), p.logPath, tail(p.runLog(), 20))
}

// runLog is what this run has written to the log so far.
func (p *proc) runLog() []byte {
	b, err := os.ReadFile(p.logPath)
	if err != nil || int64(len(b)) < p.logFrom {
		return nil
	}
	return b[p.logFrom:]
}

// stop sends SIGTERM, and SIGKILL when the process has not exited after
// timeout. Stopping an ended process does nothing. It returns an error only
// when the process had to be killed.
func (p *proc) stop(timeout time.Duration) error {
	p.mu.Lock()
	p.expected = true
	p.mu.Unlock()
	if p.exited() {
		return nil
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signalling %s: %v", p.name, err)
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
	return fmt.Errorf("%s did not exit within %v of SIGTERM and was killed", p.name, timeout)
}
