package k8senv

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// labMarker marks a directory as made by StartLab, so that a later
// StartLab may empty it.
const labMarker = ".k8senv-lab"

// LabKubeconfig is the path of the kubeconfig StartLab writes into dir for u.
func LabKubeconfig(dir string, u User) string {
	u.valid()
	if u == Admin {
		return filepath.Join(dir, "kubeconfig")
	}
	return filepath.Join(dir, "kubeconfig-nonadmin")
}

// LabConfig is the config of u for the cluster name of the lab in dir,
// read from its kubeconfig (LabKubeconfig: a context per cluster), as
// kubectl --context name would use it.
func LabConfig(dir string, u User, name string) (*rest.Config, error) {
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: LabKubeconfig(dir, u)},
		&clientcmd.ConfigOverrides{CurrentContext: name}).ClientConfig()
}

// StartLab starts an Env whose processes outlive the calling process: a
// local lab. Everything lives in dir: the state file that Stop(dir) reads,
// the logs, etcd's data, and a kubeconfig per user (LabKubeconfig). dir must
// be absent, empty, or a lab directory whose lab is stopped; the files of
// the old lab are then deleted. The returned Env works as long as the
// calling process lives; its Close stops the lab as Stop(dir) does.
func StartLab(dir string, names ...string) (*Env, error) {
	if err := checkNames(names); err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := prepareLabDir(dir); err != nil {
		return nil, err
	}
	e, err := launch(dir, true, names)
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		if err := e.WriteKubeconfig(LabKubeconfig(dir, u), u); err != nil {
			return nil, errors.Join(err, e.Close())
		}
	}
	return e, nil
}

// prepareLabDir makes dir an empty lab directory, refusing a directory that
// holds anything else or a running lab.
func prepareLabDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	if len(entries) > 0 {
		if _, err := os.Stat(filepath.Join(dir, labMarker)); err != nil {
			return fmt.Errorf("%s is not empty and not a k8senv lab directory (no %s): choose another directory", dir, labMarker)
		}
		st, err := readState(dir)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if st != nil {
			if live := st.running(); len(live) > 0 {
				return fmt.Errorf("a lab is running in %s (%s pid %d, ...): stop it first", dir, live[0].Name, live[0].Pid)
			}
		}
		for _, en := range entries {
			if err := os.RemoveAll(filepath.Join(dir, en.Name())); err != nil {
				return err
			}
		}
	}
	return os.WriteFile(filepath.Join(dir, labMarker), nil, 0o644)
}

// Stop stops the lab that StartLab started in dir: the apiservers (in
// parallel), then etcd; SIGTERM, then SIGKILL after StopTimeout. Only the
// recorded processes are signalled, identified by pid and start time. The
// files stay, except the state file. When no lab state is in dir, the error
// wraps fs.ErrNotExist.
func Stop(dir string) error {
	st, err := readState(dir)
	if err != nil {
		return err
	}
	errs := make([]error, len(st.APIServers)+1)
	var wg sync.WaitGroup
	for i, p := range st.APIServers {
		wg.Go(func() { errs[i] = p.Stop(p.Name, StopTimeout) })
	}
	wg.Wait()
	errs[len(st.APIServers)] = st.Etcd.Stop(st.Etcd.Name, StopTimeout)
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return os.Remove(filepath.Join(dir, stateFile))
}
