package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/gslbdns/gslb/test/internal/testhost"
)

// stopTimeout is how long a stop waits after SIGTERM before it kills.
const stopTimeout = 10 * time.Second

// startWatch is how long a start watches for an exit at once (a bad flag,
// a port in use) before it reports success.
const startWatch = 500 * time.Millisecond

func pidFile(dir, name string) string { return filepath.Join(dir, name+".pid") }

// startProc starts a detached process logging to DIR/NAME.log and records
// it (pid and start time) in DIR/NAME.pid.
func startProc(dir, name, path string, args ...string) error {
	p, err := testhost.Start(testhost.Spec{
		Label:    "kubelab: " + name,
		Path:     path,
		Args:     args,
		Dir:      dir,
		LogPath:  filepath.Join(dir, name+".log"),
		Detached: true,
	})
	if err != nil {
		return err
	}
	if err := recordPid(dir, name, p.Pid()); err != nil {
		if exitsSoon(p) { // a process that exits at once can be gone before it is recorded
			return exitedAtStart(dir, name, p)
		}
		_ = p.Kill()
		return err
	}
	select {
	case <-p.Done():
		return exitedAtStart(dir, name, p)
	case <-time.After(startWatch):
		return nil
	}
}

// exitsSoon says whether p ends on its own within startWatch.
func exitsSoon(p *testhost.Proc) bool {
	select {
	case <-p.Done():
		return true
	case <-time.After(startWatch):
		return false
	}
}

func exitedAtStart(dir, name string, p *testhost.Proc) error {
	_ = os.Remove(pidFile(dir, name))
	return fmt.Errorf("%s exited at start (%s):\n%s", name, p.ExitText(), p.RunLog())
}

func recordPid(dir, name string, pid int) error {
	d, ok := testhost.Identify(pid)
	if !ok {
		return fmt.Errorf("%s (pid %d) is gone", name, pid)
	}
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	return os.WriteFile(pidFile(dir, name), append(b, '\n'), 0o644)
}

// readPid reads DIR/NAME.pid.
func readPid(dir, name string) (testhost.Detached, error) {
	var d testhost.Detached
	b, err := os.ReadFile(pidFile(dir, name))
	if err != nil {
		return d, err
	}
	if err := json.Unmarshal(b, &d); err != nil || d.Pid <= 0 {
		return d, fmt.Errorf("%s: unreadable (%v)", pidFile(dir, name), err)
	}
	return d, nil
}

// running lists the recorded processes of dir that still run.
func running(dir string) []string {
	var live []string
	for _, name := range procNames {
		if d, err := readPid(dir, name); err == nil && d.Alive() {
			live = append(live, fmt.Sprintf("%s pid %d", name, d.Pid))
		}
	}
	return live
}

// stopProc stops the recorded process NAME (SIGTERM, then SIGKILL after
// stopTimeout) and removes its pid file. No pid file: nothing to do.
func stopProc(dir, name string) error {
	d, err := readPid(dir, name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := d.Stop(name, stopTimeout); err != nil {
		return err
	}
	return os.Remove(pidFile(dir, name))
}

// stopProcs stops the recorded syncer, coredns and sites.
func stopProcs(dir string) error {
	var errs []error
	for _, name := range procNames {
		errs = append(errs, stopProc(dir, name))
	}
	return errors.Join(errs...)
}
