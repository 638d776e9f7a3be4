// Package testca is the one test certificate authority of the repository:
// a CA whose key lives only in memory, and leaf certificates it signs for
// servers and clients on loopback. test/k8senv signs its apiservers' serving
// certificates with it; unit tests of mutual TLS (plugin/gslb, syncer/push)
// can use it too, which is why it is not under test/internal.
package testca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Validity is long enough for a lab left running for weeks.
const Validity = 365 * 24 * time.Hour

// CA is a test certificate authority.
type CA struct {
	Cert    *x509.Certificate
	CertPEM []byte
	key     crypto.Signer
}

// Leaf says what certificate Issue makes.
type Leaf struct {
	Name   string   // the subject's common name
	Server bool     // for TLS servers (ExtKeyUsageServerAuth)
	Client bool     // for TLS clients (ExtKeyUsageClientAuth)
	Hosts  []string // IP addresses and DNS names it is valid for
}

// Pair is a certificate and its private key, both PEM.
type Pair struct {
	CertPEM []byte
	KeyPEM  []byte // PKCS #8
}

// New makes a CA named name.
func New(name string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := template(name)
	tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
	tmpl.BasicConstraintsValid = true
	tmpl.IsCA = true
	tmpl.MaxPathLenZero = true
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("creating the test CA %s: %v", name, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, CertPEM: encode("CERTIFICATE", der), key: key}, nil
}

// Issue signs a new certificate as l says, with a new key.
func (ca *CA) Issue(l Leaf) (Pair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Pair{}, err
	}
	tmpl := template(l.Name)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	if l.Server {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
	}
	if l.Client {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageClientAuth)
	}
	for _, h := range l.Hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.key)
	if err != nil {
		return Pair{}, fmt.Errorf("issuing the certificate of %s: %v", l.Name, err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return Pair{}, err
	}
	return Pair{CertPEM: encode("CERTIFICATE", der), KeyPEM: encode("PRIVATE KEY", keyDER)}, nil
}

// Write writes the certificate (mode 0644) and the key (0600).
func (p Pair) Write(certPath, keyPath string) error {
	if err := os.WriteFile(certPath, p.CertPEM, 0o644); err != nil {
		return err
	}
	return os.WriteFile(keyPath, p.KeyPEM, 0o600)
}

// WriteDir makes a CA and writes it as dir/ca.crt, and for each name a
// certificate for server and client use on 127.0.0.1 and localhost as
// dir/NAME.crt and dir/NAME.key: the files a mutual-TLS test wants.
func WriteDir(dir string, names ...string) (*CA, error) {
	ca, err := New("gslb test CA")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "ca.crt"), ca.CertPEM, 0o644); err != nil {
		return nil, err
	}
	for _, n := range names {
		p, err := ca.Issue(Leaf{Name: n, Server: true, Client: true, Hosts: []string{"127.0.0.1", "localhost"}})
		if err != nil {
			return nil, err
		}
		if err := p.Write(filepath.Join(dir, n+".crt"), filepath.Join(dir, n+".key")); err != nil {
			return nil, err
		}
	}
	return ca, nil
}

func template(name string) *x509.Certificate {
	now := time.Now()
	return &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(Validity),
	}
}

func encode(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return n
}
