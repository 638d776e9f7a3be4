package k8senv

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"

	"github.com/gslbdns/gslb/test/internal/testhost"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Client-side rate limits of the configs handed out: client-go's defaults
// (5 QPS) would make tests wait on themselves.
const (
	clientQPS   = 100
	clientBurst = 200
)

// Cluster is one kube-apiserver of an Env, serving its own etcd prefix
// (/<Name>). Its address stays the same across Stop and Restart.
type Cluster struct {
	Name string
	Host string // https://127.0.0.1:<port>

	env    *Env
	dir    string // the cluster's files: certificates, keys, token file, log
	port   int
	tokens map[User]string // RevokeToken may replace one: not concurrently with UserConfig or Kubeconfig
	extra  map[string]User // more tokens: AddToken
	probe  *http.Client    // for /readyz
	client kubernetes.Interface

	mu     sync.Mutex
	proc   *testhost.Proc // the current or last run
	closed bool           // the Env is closed: no more restarts
}

// newCluster prepares the files of cluster name under env.Dir/clusters/name.
func newCluster(env *Env, name string) (*Cluster, error) {
	c := &Cluster{Name: name, env: env, dir: filepath.Join(env.Dir, "clusters", name), tokens: newTokens(), extra: map[string]User{}}
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return nil, err
	}
	if err := writeServingCert(env.ca, name, c.path("serving.crt"), c.path("serving.key")); err != nil {
		return nil, err
	}
	if err := writeServiceAccountKeys(c.path("service-account.key"), c.path("service-account.pub")); err != nil {
		return nil, err
	}
	if err := writeTokenFile(c.path("tokens.csv"), c.tokens, c.extra); err != nil {
		return nil, err
	}
	tlsConfig, err := rest.TLSConfigFor(c.Config())
	if err != nil {
		return nil, err
	}
	c.probe = &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConfig}}
	if err := c.setPort(); err != nil {
		return nil, err
	}
	return c, nil
}

// setPort picks a new free port for the apiserver, and makes the admin
// clientset for that address.
func (c *Cluster) setPort() error {
	port, err := testhost.FreePort()
	if err != nil {
		return err
	}
	c.port = port
	c.Host = fmt.Sprintf("https://127.0.0.1:%d", port)
	c.client, err = kubernetes.NewForConfig(c.Config())
	return err
}

func (c *Cluster) path(name string) string { return filepath.Join(c.dir, name) }

// LogPath is the apiserver's log file; every run is appended to it.
func (c *Cluster) LogPath() string { return c.path("kube-apiserver.log") }

// Config returns a new admin (system:masters) config for the cluster.
func (c *Cluster) Config() *rest.Config { return c.UserConfig(Admin) }

// UserConfig returns a new config that authenticates as u.
func (c *Cluster) UserConfig(u User) *rest.Config {
	u.valid()
	return &rest.Config{
		Host:            c.Host,
		BearerToken:     c.tokens[u],
		TLSClientConfig: rest.TLSClientConfig{CAData: c.env.ca.CertPEM},
		QPS:             clientQPS,
		Burst:           clientBurst,
	}
}

// Client is an admin clientset for the cluster.
func (c *Cluster) Client() kubernetes.Interface { return c.client }

// Pid is the process id of the apiserver's current or last run.
func (c *Cluster) Pid() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.proc == nil {
		return 0
	}
	return c.proc.Pid()
}

// Running reports whether the apiserver process is running.
func (c *Cluster) Running() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.proc != nil && !c.proc.Exited()
}

// Stop stops the apiserver (SIGTERM, then SIGKILL after StopTimeout). Its
// data stays in etcd; Restart brings it back. Stopping a stopped cluster
// does nothing.
func (c *Cluster) Stop() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.proc == nil {
		return nil
	}
	return c.proc.Stop(StopTimeout)
}

// Restart stops the apiserver if it is running, starts it again on the same
// address with the same certificates and tokens, and waits until it is
// ready. Configs and clients made before keep working.
func (c *Cluster) Restart() error {
	if err := c.restart(); err != nil {
		return err
	}
	return c.env.saveState()
}

func (c *Cluster) restart() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return errors.New("k8senv: restart of cluster " + c.Name + " after the environment was closed")
	}
	if c.proc != nil {
		if err := c.proc.Stop(StopTimeout); err != nil {
			return err
		}
	}
	return c.run()
}

// close stops the apiserver for good and reports an exit nobody asked for.
func (c *Cluster) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	c.probe.CloseIdleConnections()
	if c.proc == nil {
		return nil
	}
	return errors.Join(c.proc.UnexpectedExit(), c.proc.Stop(StopTimeout))
}
