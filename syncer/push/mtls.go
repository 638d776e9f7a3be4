package push

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// MutualTLS returns both ends of mutual TLS made of one certificate, key
// and CA bundle, for syncers that talk to each other (syncer/healthshare):
// the client presents the certificate and expects a server certificate for
// serverName chaining to the CA; the server presents the same certificate
// and requires a client certificate chaining to the CA. The key pair is
// read again at each handshake (see keyPair).
func MutualTLS(files TLSFiles, serverName string) (client, server *tls.Config, err error) {
	if files.Cert == "" || files.Key == "" || files.CA == "" {
		return nil, nil, fmt.Errorf("mutual TLS needs a certificate, a key and a CA file")
	}
	pem, err := os.ReadFile(files.CA)
	if err != nil {
		return nil, nil, fmt.Errorf("CA file: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return nil, nil, fmt.Errorf("CA file %s holds no PEM certificate", files.CA)
	}
	kp := &keyPair{cert: files.Cert, key: files.Key}
	if _, err := kp.load(); err != nil {
		return nil, nil, err
	}
	client = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots, ServerName: serverName, GetClientCertificate: kp.get}
	server = &tls.Config{MinVersion: tls.VersionTLS12, ClientCAs: roots, ClientAuth: tls.RequireAndVerifyClientCert,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return kp.get(nil) }}
	return client, server, nil
}
