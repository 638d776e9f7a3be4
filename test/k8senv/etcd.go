package k8senv

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"

	"github.com/gslbdns/gslb/test/internal/testhost"
)

// etcdServer is the one etcd behind all clusters of an Env.
type etcdServer struct {
	url  string // client URL, http://127.0.0.1:port
	proc *testhost.Proc
}

// startEtcd starts etcd on free loopback ports, its log in dir/etcd.log and
// its data in dir/data, and waits until it is healthy.
func startEtcd(bin, dir string, detached bool) (*etcdServer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var lastErr error
	for range portTries {
		client, err := testhost.FreePort()
		if err != nil {
			return nil, err
		}
		peer, err := testhost.FreePort()
		if err != nil {
			return nil, err
		}
		data := filepath.Join(dir, "data")
		if err := os.RemoveAll(data); err != nil {
			return nil, err
		}
		e := &etcdServer{url: fmt.Sprintf("http://127.0.0.1:%d", client)}
		peerURL := fmt.Sprintf("http://127.0.0.1:%d", peer)
		e.proc, err = startProc("etcd", filepath.Join(dir, "etcd.log"), detached, bin,
			"--name=k8senv",
			"--data-dir="+data,
			"--listen-client-urls="+e.url,
			"--advertise-client-urls="+e.url,
			"--listen-peer-urls="+peerURL,
			"--initial-advertise-peer-urls="+peerURL,
			"--initial-cluster=k8senv="+peerURL,
			"--unsafe-no-fsync",
		)
		if err != nil {
			return nil, err
		}
		lastErr = e.waitHealthy()
		if lastErr == nil {
			return e, nil
		}
		_ = e.proc.Stop(StopTimeout)
		if !e.proc.PortTaken() {
			return nil, lastErr
		}
	}
	return nil, lastErr
}

// waitHealthy polls etcd's /health until it reports healthy.
func (e *etcdServer) waitHealthy() error {
	return pollReady(e.proc, func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.url+"/health", nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"health":"true"`)) {
			return fmt.Errorf("/health: %s %s", resp.Status, bytes.TrimSpace(body))
		}
		return nil
	})
}
