package testca

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"path/filepath"
	"testing"
)

// A server and a client with certificates from WriteDir complete a mutual
// TLS handshake on loopback, each verifying the other against ca.crt; a
// certificate from another CA is refused.
func TestWriteDirMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca, err := WriteDir(dir, "server", "client")
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	load := func(name string) tls.Certificate {
		c, err := tls.LoadX509KeyPair(filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key"))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{load("server")},
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_ = c.(*tls.Conn).Handshake()
			_, _ = c.Write([]byte("ok"))
			c.Close()
		}
	}()
	dial := func(cert tls.Certificate) error {
		c, err := tls.Dial("tcp", l.Addr().String(), &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}})
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = io.ReadAll(c)
		return err
	}
	if err := dial(load("client")); err != nil {
		t.Fatalf("mutual TLS with the CA's client certificate: %v", err)
	}
	other, err := New("another CA")
	if err != nil {
		t.Fatal(err)
	}
	p, err := other.Issue(Leaf{Name: "stranger", Client: true})
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := tls.X509KeyPair(p.CertPEM, p.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	if err := dial(stranger); err == nil {
		t.Fatal("a client certificate from another CA was accepted")
	}
}
