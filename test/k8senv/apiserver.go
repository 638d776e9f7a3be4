package k8senv

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// serviceClusterIPRange is only an allocation range for Service ClusterIPs:
// nothing routes or contacts it.
const serviceClusterIPRange = "10.0.0.0/24"

// args are the apiserver's flags. Everything binds and advertises 127.0.0.1.
func (c *Cluster) args() []string {
	return []string{
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(c.port),
		"--etcd-servers=" + c.env.etcd.url,
		"--etcd-prefix=/" + c.Name,
		"--cert-dir=" + c.dir,
		"--tls-cert-file=" + c.path("serving.crt"),
		"--tls-private-key-file=" + c.path("serving.key"),
		"--client-ca-file=" + c.env.caPath(),
		"--token-auth-file=" + c.path("tokens.csv"),
		"--authorization-mode=RBAC",
		// The issuer is the apiserver itself, which serves its discovery document.
		"--service-account-issuer=" + c.Host,
		"--service-account-key-file=" + c.path("service-account.pub"),
		"--service-account-signing-key-file=" + c.path("service-account.key"),
		"--service-cluster-ip-range=" + serviceClusterIPRange,
		// No controller-manager keeps the kubernetes Service's endpoints, and
		// without it no ServiceAccount token controller: see the package doc.
		"--endpoint-reconciler-type=none",
		"--disable-admission-plugins=ServiceAccount",
		"--profiling=false",
		// Close watches on SIGTERM instead of waiting for them to time out:
		// watches on custom resources otherwise hold the shutdown past
		// StopTimeout.
		"--shutdown-watch-termination-grace-period=2s",
	}
}

// firstRun starts the apiserver for the first time, with a new port when
// another process took the one picked. Call it with c.mu held.
func (c *Cluster) firstRun() error {
	var err error
	for try := 1; try <= portTries; try++ {
		if err = c.run(); err == nil || !c.proc.PortTaken() || try == portTries {
			return err
		}
		if err = c.setPort(); err != nil {
			return err
		}
	}
	return err
}

// run starts the apiserver and waits until /readyz answers ok. Call it with
// c.mu held.
func (c *Cluster) run() error {
	p, err := startProc("kube-apiserver "+c.Name, c.LogPath(), c.env.detached, c.env.bin("kube-apiserver"), c.args()...)
	if err != nil {
		return err
	}
	c.proc = p
	if err := pollReady(p, c.probeReady); err != nil {
		_ = p.Stop(StopTimeout)
		return err
	}
	return nil
}

// probeReady asks /readyz as the admin.
func (c *Cluster) probeReady(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.Host+"/readyz", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.tokens[Admin])
	resp, err := c.probe.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 8192))
	return fmt.Errorf("/readyz: %s: %s", resp.Status, failedChecks(string(body)))
}

// failedChecks keeps the failing lines ("[-]...") of a /readyz answer.
func failedChecks(body string) string {
	var failed []string
	for line := range strings.SplitSeq(body, "\n") {
		if strings.HasPrefix(line, "[-]") {
			failed = append(failed, line)
		}
	}
	if len(failed) == 0 {
		return strings.TrimSpace(body)
	}
	return strings.Join(failed, "; ")
}
