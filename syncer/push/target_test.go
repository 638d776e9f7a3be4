package push

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/internal/fakeplugin"
	"github.com/gslbdns/gslb/test/testca"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

func TestParseTarget(t *testing.T) {
	tests := []struct {
		in, network, address, host, err string
	}{
		{in: "unix:///run/gslb/gslb.sock", network: "unix", address: "/run/gslb/gslb.sock"},
		{in: "unix:gslb.sock", network: "unix", address: "gslb.sock"},
		{in: "tcp://dns1.example.net:9053", network: "tcp", address: "dns1.example.net:9053", host: "dns1.example.net"},
		{in: "tcp://[2001:db8::1]:9053", network: "tcp", address: "[2001:db8::1]:9053", host: "2001:db8::1"},
		{in: "unix://", err: `push target "unix://": missing socket path`},
		{in: "tcp://dns1.example.net", err: `push target "tcp://dns1.example.net": want tcp://HOST:PORT`},
		{in: "tcp://:9053", err: `push target "tcp://:9053": want tcp://HOST:PORT`},
		{in: "dns1.example.net:9053", err: `push target "dns1.example.net:9053": want unix:///path/to.sock or tcp://HOST:PORT`},
		{in: "http://dns1.example.net:9053", err: `push target "http://dns1.example.net:9053": want unix:///path/to.sock or tcp://HOST:PORT`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseTarget(tt.in)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("error %v, want %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.network != tt.network || got.address != tt.address || got.host != tt.host {
				t.Errorf("got %+v", got)
			}
		})
	}
}

// pki writes a new CA, and a certificate signed by it for each name, as PEM
// files in dir: NAME.crt and NAME.key, and ca.crt.
func pki(t *testing.T, dir string, names ...string) {
	t.Helper()
	if _, err := testca.WriteDir(dir, names...); err != nil {
		t.Fatal(err)
	}
}

// tlsServer serves a fake plugin over TCP with mutual TLS, with the server
// certificate and client CA of dir.
func tlsServer(t *testing.T, dir string) (*fakeplugin.Server, string) {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key"))
	if err != nil {
		t.Fatal(err)
	}
	pemCA, err := os.ReadFile(filepath.Join(dir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemCA)
	creds := credentials.NewTLS(&tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := fakeplugin.Serve(l, grpc.Creds(creds))
	t.Cleanup(func() { srv.Close() })
	return srv, "tcp://" + l.Addr().String()
}

// runPusher runs p until the test ends.
func runPusher(t *testing.T, p *Pusher) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	pki(t, dir, "server", "client")
	srv, addr := tlsServer(t, dir)
	files := TLSFiles{Cert: filepath.Join(dir, "client.crt"), Key: filepath.Join(dir, "client.key"), CA: filepath.Join(dir, "ca.crt")}

	p, err := New(addr, Options{TLS: files, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	runPusher(t, p)
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	defer cancel()
	if err := p.WaitAcked(ctx, p.Update(tableOf(record("a.example.", 1)))); err != nil {
		t.Fatalf("not acknowledged over mutual TLS: %v; stats %+v", err, p.Stats())
	}
	if len(srv.Table()) != 1 {
		t.Errorf("plugin holds %d records, want 1", len(srv.Table()))
	}
}

func TestMutualTLSRefusesAnUnknownServer(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	pki(t, dir, "server", "client")
	pki(t, other, "client") // another CA
	srv, addr := tlsServer(t, dir)
	files := TLSFiles{Cert: filepath.Join(other, "client.crt"), Key: filepath.Join(other, "client.key"), CA: filepath.Join(other, "ca.crt")}

	p, err := New(addr, Options{TLS: files, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	runPusher(t, p)
	p.Update(tableOf(record("a.example.", 1)))
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	defer cancel()
	s, err := p.WaitFor(ctx, func(s Stats) bool { return s.LastError != nil })
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.LastError.Error(), "certificate") {
		t.Errorf("LastError %v, want a certificate error", s.LastError)
	}
	if len(srv.Applies()) != 0 {
		t.Error("the plugin received an apply")
	}
}

func TestTCPNeedsTLS(t *testing.T) {
	dir := t.TempDir()
	pki(t, dir, "client")
	if err := os.WriteFile(filepath.Join(dir, "empty.crt"), []byte("nothing here\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ok := TLSFiles{Cert: filepath.Join(dir, "client.crt"), Key: filepath.Join(dir, "client.key"), CA: filepath.Join(dir, "ca.crt")}
	tests := []struct {
		name  string
		files TLSFiles
		want  string
	}{
		{"none", TLSFiles{}, "push target tcp://127.0.0.1:9053: a tcp target requires mutual TLS: a client certificate, a key and a CA file"},
		{"no CA", TLSFiles{Cert: ok.Cert, Key: ok.Key}, "requires mutual TLS"},
		{"no key", TLSFiles{Cert: ok.Cert, CA: ok.CA}, "requires mutual TLS"},
		{"missing CA file", TLSFiles{Cert: ok.Cert, Key: ok.Key, CA: filepath.Join(dir, "nope.crt")}, "CA file: open "},
		{"CA without PEM", TLSFiles{Cert: ok.Cert, Key: ok.Key, CA: filepath.Join(dir, "empty.crt")}, "holds no PEM certificate"},
		{"key of another certificate", TLSFiles{Cert: ok.Cert, Key: filepath.Join(dir, "ca.crt"), CA: ok.CA}, "client certificate: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New("tcp://127.0.0.1:9053", Options{TLS: tt.files})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			if tt.name == "none" && !errors.Is(err, ErrTCPNeedsTLS) {
				t.Error("error is not ErrTCPNeedsTLS")
			}
		})
	}
	if _, err := New("tcp://127.0.0.1:9053", Options{TLS: ok}); err != nil {
		t.Errorf("with all three files: %v", err)
	}
	if _, err := New("unix:///run/gslb.sock", Options{}); err != nil {
		t.Errorf("unix without TLS: %v", err)
	}
}

// TestClientCertificateReload: a renewed certificate is used from the next
// handshake on; a broken one is ignored for the last good one.
func TestClientCertificateReload(t *testing.T) {
	dir := t.TempDir()
	pki(t, dir, "client")
	kp := &keyPair{cert: filepath.Join(dir, "client.crt"), key: filepath.Join(dir, "client.key")}
	first, err := kp.load()
	if err != nil {
		t.Fatal(err)
	}
	pki(t, dir, "client") // renewed
	second, err := kp.get(nil)
	if err != nil || second == nil || string(second.Certificate[0]) == string(first.Certificate[0]) {
		t.Fatalf("after renewal: %v, %v; want the new certificate", second, err)
	}
	if err := os.WriteFile(kp.cert, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	third, err := kp.get(nil)
	if err != nil || third != second {
		t.Fatalf("with a broken file: %v, %v; want the last good certificate", third, err)
	}
}

func TestDial(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "gslb.sock")
	srv, err := fakeplugin.Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.SetVersion(7)
	conn, err := Dial("unix://"+sock, TLSFiles{})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	defer cancel()
	st, err := gslbv1.NewTableClient(conn).Status(ctx, &gslbv1.StatusRequest{})
	if err != nil || st.GetVersion() != 7 {
		t.Fatalf("Status = %v, %v; want version 7", st, err)
	}
	if _, err := Dial("tcp://127.0.0.1:9053", TLSFiles{}); !errors.Is(err, ErrTCPNeedsTLS) {
		t.Errorf("Dial tcp without TLS: %v, want ErrTCPNeedsTLS", err)
	}
}
