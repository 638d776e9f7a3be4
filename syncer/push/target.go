package push

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// target is where a Pusher pushes: a unix socket or a TCP address.
type target struct {
	network string // "unix" or "tcp"
	address string // socket path, or host:port
	host    string // tcp: the host, which the server's certificate must name
}

// parseTarget parses "unix:///path/to.sock" (or "unix:relative.sock") and
// "tcp://host:port".
func parseTarget(s string) (target, error) {
	switch {
	case strings.HasPrefix(s, "unix:"):
		path := strings.TrimPrefix(strings.TrimPrefix(s, "unix:"), "//")
		if path == "" {
			return target{}, fmt.Errorf("push target %q: missing socket path", s)
		}
		return target{network: "unix", address: path}, nil
	case strings.HasPrefix(s, "tcp://"):
		addr := strings.TrimPrefix(s, "tcp://")
		host, port, err := net.SplitHostPort(addr)
		if err != nil || host == "" || port == "" {
			return target{}, fmt.Errorf("push target %q: want tcp://HOST:PORT", s)
		}
		return target{network: "tcp", address: addr, host: host}, nil
	default:
		return target{}, fmt.Errorf("push target %q: want unix:///path/to.sock or tcp://HOST:PORT", s)
	}
}

func (t target) String() string {
	if t.network == "unix" {
		return "unix://" + t.address
	}
	return "tcp://" + t.address
}

// TLSFiles name the PEM files of mutual TLS, required for tcp targets.
type TLSFiles struct {
	Cert string // the client's certificate (chain)
	Key  string // its private key
	CA   string // the CA bundle that the plugin's server certificate must chain to
}

// ErrTCPNeedsTLS is returned for a tcp target without all three TLS files.
var ErrTCPNeedsTLS = errors.New("a tcp target requires mutual TLS: a client certificate, a key and a CA file")

// credentialsFor returns the transport credentials for t: none over a unix
// socket (which the plugin creates with mode 0600), mutual TLS over TCP.
func credentialsFor(t target, files TLSFiles) (credentials.TransportCredentials, error) {
	if t.network == "unix" {
		return insecure.NewCredentials(), nil
	}
	if files.Cert == "" || files.Key == "" || files.CA == "" {
		return nil, fmt.Errorf("push target %s: %w", t, ErrTCPNeedsTLS)
	}
	pem, err := os.ReadFile(files.CA)
	if err != nil {
		return nil, fmt.Errorf("push target %s: CA file: %w", t, err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("push target %s: CA file %s holds no PEM certificate", t, files.CA)
	}
	kp := &keyPair{cert: files.Cert, key: files.Key}
	if _, err := kp.load(); err != nil {
		return nil, fmt.Errorf("push target %s: %w", t, err)
	}
	return credentials.NewTLS(&tls.Config{
		MinVersion:           tls.VersionTLS12,
		RootCAs:              roots,
		ServerName:           t.host,
		GetClientCertificate: kp.get,
	}), nil
}

// keyPair reads the client certificate at each TLS handshake, so that a
// renewed certificate (cert-manager, for one) is used without a restart. A
// pair that fails to load is ignored in favour of the last good one.
type keyPair struct {
	cert, key string

	mu   sync.Mutex
	last *tls.Certificate
}

func (k *keyPair) load() (*tls.Certificate, error) {
	c, err := tls.LoadX509KeyPair(k.cert, k.key)
	if err != nil {
		return nil, fmt.Errorf("client certificate: %w", err)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.last = &c
	return &c, nil
}

func (k *keyPair) get(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
	if c, err := k.load(); err == nil {
		return c, nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.last, nil
}
