package k8senv

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// stateFile, in a lab's directory, records the processes the lab started.
const stateFile = "k8senv-state.json"

// labState is what Stop needs to stop exactly what StartLab started.
type labState struct {
	APIServers []labProc `json:"apiservers"`
	Etcd       labProc   `json:"etcd"`
}

// labProc identifies a process by its pid and its start time, so that a pid
// reused by an unrelated process is never signalled.
type labProc struct {
	Name       string `json:"name"`
	URL        string `json:"url"`
	Pid        int    `json:"pid"`
	StartTicks uint64 `json:"start_ticks"` // field 22 of /proc/<pid>/stat
}

// saveState writes the state file of a lab (a no-op in tests). It is called
// after every start, as a restart changes a pid.
func (e *Env) saveState() error {
	if !e.detached {
		return nil
	}
	e.stateMu.Lock()
	defer e.stateMu.Unlock()
	var st labState
	var err error
	if st.Etcd, err = newLabProc("etcd", e.etcd.url, e.etcd.proc); err != nil {
		return err
	}
	for _, c := range e.Clusters {
		c.mu.Lock()
		p := c.proc
		c.mu.Unlock()
		if p == nil || p.exited() {
			continue
		}
		lp, err := newLabProc(c.Name, c.Host, p)
		if err != nil {
			return err
		}
		st.APIServers = append(st.APIServers, lp)
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(e.Dir, stateFile+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(e.Dir, stateFile))
}

// removeState deletes a lab's state file once its processes are stopped.
func (e *Env) removeState() error {
	if !e.detached {
		return nil
	}
	e.stateMu.Lock()
	defer e.stateMu.Unlock()
	if err := os.Remove(filepath.Join(e.Dir, stateFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

func newLabProc(name, url string, p *proc) (labProc, error) {
	ticks, ok := startTicks(p.pid())
	if !ok {
		return labProc{}, fmt.Errorf("%s (pid %d) is not running", p.name, p.pid())
	}
	return labProc{Name: name, URL: url, Pid: p.pid(), StartTicks: ticks}, nil
}

func readState(dir string) (*labState, error) {
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		return nil, err
	}
	var st labState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("%s: %v", filepath.Join(dir, stateFile), err)
	}
	return &st, nil
}

// running lists the recorded processes that are still alive.
func (st *labState) running() []labProc {
	var live []labProc
	for _, p := range append([]labProc{st.Etcd}, st.APIServers...) {
		if p.alive() {
			live = append(live, p)
		}
	}
	return live
}

// startTicks returns the start time of process pid, and false when there is
// no such process or it is a zombie.
func startTicks(pid int) (uint64, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// The command name (field 2) is in parentheses and may hold spaces:
	// fields 3 on follow the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 || f[0] == "Z" || f[0] == "X" {
		return 0, false
	}
	ticks, err := strconv.ParseUint(f[19], 10, 64)
	return ticks, err == nil
}

// alive reports whether the recorded process is still the one running.
func (p labProc) alive() bool {
	ticks, ok := startTicks(p.Pid)
	return ok && ticks == p.StartTicks
}

// stop sends SIGTERM to the recorded process, and SIGKILL when it has not
// exited after timeout. It returns an error only when it had to kill or
// could not stop it.
func (p labProc) stop(timeout time.Duration) error {
	if !p.alive() {
		return nil
	}
	if err := syscall.Kill(p.Pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signalling %s (pid %d): %v", p.Name, p.Pid, err)
	}
	if p.waitGone(timeout) {
		return nil
	}
	if err := syscall.Kill(p.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("killing %s (pid %d): %v", p.Name, p.Pid, err)
	}
	if !p.waitGone(10 * time.Second) {
		return fmt.Errorf("%s (pid %d) is still running after SIGKILL", p.Name, p.Pid)
	}
	return fmt.Errorf("%s (pid %d) did not exit within %v of SIGTERM and was killed", p.Name, p.Pid, timeout)
}

// waitGone polls until the process has gone, at most timeout.
func (p labProc) waitGone(timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for p.alive() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(pollInterval)
	}
	return true
}
