package k8senv

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/gslbdns/gslb/test/internal/testhost"
)

// stateFile, in a lab's directory, records the processes the lab started.
const stateFile = "k8senv-state.json"

// labState is what Stop needs to stop exactly what StartLab started.
type labState struct {
	APIServers []labProc `json:"apiservers"`
	Etcd       labProc   `json:"etcd"`
}

// labProc is one recorded server: its name and URL, and the process
// identified by pid and start time (its fields are flattened in the JSON).
type labProc struct {
	Name string `json:"name"`
	URL  string `json:"url"`
	testhost.Detached
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
		if p == nil || p.Exited() {
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

func newLabProc(name, url string, p *testhost.Proc) (labProc, error) {
	d, ok := testhost.Identify(p.Pid())
	if !ok {
		return labProc{}, fmt.Errorf("%s (pid %d) is not running", p.Label(), p.Pid())
	}
	return labProc{Name: name, URL: url, Detached: d}, nil
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
		if p.Alive() {
			live = append(live, p)
		}
	}
	return live
}
