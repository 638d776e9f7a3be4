package k8senv

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"

	"github.com/gslbdns/gslb/test/testca"
)

// writeServingCert issues a serving certificate for 127.0.0.1 and localhost
// with the Env's test CA and writes it and its key as PEM files.
func writeServingCert(ca *testca.CA, name, certPath, keyPath string) error {
	p, err := ca.Issue(testca.Leaf{Name: name, Server: true, Hosts: []string{"127.0.0.1", "localhost"}})
	if err != nil {
		return err
	}
	return p.Write(certPath, keyPath)
}

// writeServiceAccountKeys writes the key pair an apiserver signs and
// verifies service-account tokens with.
func writeServiceAccountKeys(privPath, pubPath string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return err
	}
	if err := writeKey(privPath, key); err != nil {
		return err
	}
	return writePEM(pubPath, 0o644, "PUBLIC KEY", pub)
}

func writeKey(path string, key *ecdsa.PrivateKey) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	return writePEM(path, 0o600, "PRIVATE KEY", der)
}

func writePEM(path string, perm os.FileMode, typ string, der []byte) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), perm)
}
