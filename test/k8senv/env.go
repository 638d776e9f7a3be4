package k8senv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"

	"github.com/gslbdns/gslb/test/testca"
)

// Env is one etcd and the kube-apiservers of the named clusters.
type Env struct {
	// Dir holds everything: ca.crt, etcd/ (data and log) and
	// clusters/<name>/ (certificates, keys, token file, log).
	Dir string
	// Clusters are in the order of the names given to Start or StartLab.
	Clusters []*Cluster

	binDir   string
	detached bool // a lab: processes outlive this one, state in Dir
	ca       *testca.CA
	etcd     *etcdServer

	stateMu   sync.Mutex // serializes writes of the lab state file
	closeOnce sync.Once
	closeErr  error
}

// clusterName is a DNS label: it names an etcd prefix, a directory and a
// kubeconfig context.
var clusterName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

// Start starts one etcd and one kube-apiserver per name (in parallel), and
// returns when every apiserver is ready. Everything is stopped and deleted
// by t.Cleanup; when the test has failed, the tail of every log is printed.
// A cold binary cache is built first (see BinDir), which takes minutes.
func Start(t testing.TB, names ...string) *Env {
	t.Helper()
	dir := t.TempDir()
	var e *Env
	t.Cleanup(func() {
		if e == nil {
			return
		}
		if err := e.Close(); err != nil {
			t.Errorf("k8senv: %v", err)
		}
	})
	// Cleanups run last-registered first: the logs are printed before Close
	// buries the interesting part under shutdown messages.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("k8senv: logs in %s:\n%s", dir, logTails(dir))
		}
	})
	var err error
	if e, err = launch(dir, false, names); err != nil {
		t.Fatalf("k8senv: %v", err)
	}
	return e
}

// launch starts an Env in dir, which must exist. On error it stops whatever
// it started.
func launch(dir string, detached bool, names []string) (*Env, error) {
	if err := checkNames(names); err != nil {
		return nil, err
	}
	binDir, err := BinDir()
	if err != nil {
		return nil, err
	}
	ca, err := testca.New("k8senv test CA")
	if err != nil {
		return nil, err
	}
	e := &Env{Dir: dir, binDir: binDir, detached: detached, ca: ca}
	if err := os.WriteFile(e.caPath(), ca.CertPEM, 0o644); err != nil {
		return nil, err
	}
	if e.etcd, err = startEtcd(e.bin("etcd"), filepath.Join(dir, "etcd"), detached); err != nil {
		return nil, err
	}
	for _, name := range names {
		c, err := newCluster(e, name)
		if err != nil {
			return nil, errors.Join(err, e.Close())
		}
		e.Clusters = append(e.Clusters, c)
	}
	errs := make([]error, len(e.Clusters))
	var wg sync.WaitGroup
	for i, c := range e.Clusters {
		wg.Go(func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			errs[i] = c.firstRun()
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		_ = e.Close() // the failed runs are in err already
		return nil, err
	}
	if err := e.saveState(); err != nil {
		return nil, errors.Join(err, e.Close())
	}
	return e, nil
}

func checkNames(names []string) error {
	if len(names) == 0 {
		return errors.New("no cluster names")
	}
	seen := map[string]bool{}
	for _, n := range names {
		if !clusterName.MatchString(n) {
			return fmt.Errorf("cluster name %q is not a DNS label (lower-case letters, digits, '-')", n)
		}
		if seen[n] {
			return fmt.Errorf("cluster name %q given twice", n)
		}
		seen[n] = true
	}
	return nil
}

// Cluster returns the cluster named name, or nil.
func (e *Env) Cluster(name string) *Cluster {
	for _, c := range e.Clusters {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// CAData is the PEM certificate of the test CA that signed every
// apiserver's serving certificate.
func (e *Env) CAData() []byte { return e.ca.CertPEM }

// Close stops every apiserver (in parallel), then etcd: SIGTERM, then
// SIGKILL after StopTimeout. It reports a process that exited without being
// stopped, or had to be killed. Closing again does nothing. Start's
// cleanup calls it; the files stay in Dir.
func (e *Env) Close() error {
	e.closeOnce.Do(func() {
		errs := make([]error, len(e.Clusters)+1)
		var wg sync.WaitGroup
		for i, c := range e.Clusters {
			wg.Go(func() { errs[i] = c.close() })
		}
		wg.Wait()
		if e.etcd != nil {
			errs[len(e.Clusters)] = errors.Join(e.etcd.proc.UnexpectedExit(), e.etcd.proc.Stop(StopTimeout))
		}
		errs = append(errs, e.removeState())
		e.closeErr = errors.Join(errs...)
	})
	return e.closeErr
}

func (e *Env) bin(name string) string { return filepath.Join(e.binDir, name) }

func (e *Env) caPath() string { return filepath.Join(e.Dir, "ca.crt") }
