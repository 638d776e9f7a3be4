package testhost

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// detachedPoll is the pause between two checks that a process has gone.
const detachedPoll = 50 * time.Millisecond

// Detached names a process that outlives the one that started it (a lab's
// server, started with Spec.Detached) by its pid and its start time, so that
// a pid reused by an unrelated process is never signalled. It is what a lab
// records in its directory for the command that stops it later.
type Detached struct {
	Pid        int    `json:"pid"`
	StartTicks uint64 `json:"start_ticks"` // field 22 of /proc/<pid>/stat
}

// Identify returns the Detached of the running process pid; false when
// there is no such process or it is a zombie.
func Identify(pid int) (Detached, bool) {
	ticks, ok := startTicks(pid)
	return Detached{Pid: pid, StartTicks: ticks}, ok
}

// Alive reports whether the recorded process is still the one running.
func (d Detached) Alive() bool {
	ticks, ok := startTicks(d.Pid)
	return ok && ticks == d.StartTicks
}

// Stop sends SIGTERM to the recorded process, and SIGKILL when it has not
// exited after timeout. It returns an error only when it had to kill or
// could not stop it; name is for the messages.
func (d Detached) Stop(name string, timeout time.Duration) error {
	if !d.Alive() {
		return nil
	}
	if err := syscall.Kill(d.Pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signalling %s (pid %d): %v", name, d.Pid, err)
	}
	if d.waitGone(timeout) {
		return nil
	}
	if err := syscall.Kill(d.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("killing %s (pid %d): %v", name, d.Pid, err)
	}
	if !d.waitGone(10 * time.Second) {
		return fmt.Errorf("%s (pid %d) is still running after SIGKILL", name, d.Pid)
	}
	return fmt.Errorf("%s (pid %d) did not exit within %v of SIGTERM and was killed", name, d.Pid, timeout)
}

// waitGone polls until the process has gone, at most timeout.
func (d Detached) waitGone(timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for d.Alive() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(detachedPoll)
	}
	return true
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
