package gslb

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// defaultListen is where the gRPC API listens when the Corefile says nothing.
const defaultListen = "unix:///run/gslb/gslb.sock"

// listenAddr is a parsed `listen` argument.
type listenAddr struct {
	network string // "unix" or "tcp"
	address string // socket path, or host:port
}

// parseListen accepts unix:///absolute/path and tcp://HOST:PORT.
func parseListen(s string) (listenAddr, error) {
	u, err := url.Parse(s)
	if err != nil {
		return listenAddr{}, fmt.Errorf("listen %q: %v", s, err)
	}
	switch u.Scheme {
	case "unix":
		p := u.Path
		if u.Host != "" || !filepath.IsAbs(p) {
			return listenAddr{}, fmt.Errorf("listen %q: want unix:///absolute/path", s)
		}
		return listenAddr{network: "unix", address: filepath.Clean(p)}, nil
	case "tcp":
		host, port, err := net.SplitHostPort(u.Host)
		if err != nil || u.Path != "" {
			return listenAddr{}, fmt.Errorf("listen %q: want tcp://HOST:PORT", s)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
			return listenAddr{}, fmt.Errorf("listen %q: invalid port %q", s, port)
		}
		return listenAddr{network: "tcp", address: net.JoinHostPort(host, port)}, nil
	}
	return listenAddr{}, fmt.Errorf("listen %q: scheme must be unix:// or tcp://", s)
}

// listenUnix creates the socket with mode 0600 and no window in which it has
// wider permissions: it is created under a temporary name, restricted, then
// renamed into place. A stale socket (nobody answering) is replaced; a live
// one is an error.
func listenUnix(path string) (*net.UnixListener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, err
	}
	if _, err := os.Lstat(path); err == nil {
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("%s: another process is listening there", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("removing stale socket: %v", err)
		}
	}
	tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
	os.Remove(tmp)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, err
	}
	ln.SetUnlinkOnClose(false) // the socket is renamed; closeUnix removes it
	if err := os.Chmod(tmp, 0o600); err != nil {
		ln.Close()
		os.Remove(tmp)
		return nil, err
	}
	if err := os.Rename(tmp, path); err != nil {
		ln.Close()
		os.Remove(tmp)
		return nil, err
	}
	return ln, nil
}

// serverTLS builds the mutual-TLS configuration of the tcp listener: our
// certificate, and client certificates required and verified against ca.
func serverTLS(cert, key, ca string) (*tls.Config, error) {
	pair, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		return nil, fmt.Errorf("tls: loading %s and %s: %v", cert, key, err)
	}
	pem, err := os.ReadFile(ca)
	if err != nil {
		return nil, fmt.Errorf("tls: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("tls: no certificate found in " + ca)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{pair},
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS13,
	}, nil
}
