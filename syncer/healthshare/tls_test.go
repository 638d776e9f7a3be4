package healthshare

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/push"
	"github.com/gslbdns/gslb/syncer/source"

	"google.golang.org/grpc/credentials"
)

// writePKI writes a CA and one certificate it signs for the DNS name
// gslb-syncer (server and client auth), as the deployments' Secret holds
// them, and returns the files.
func writePKI(t *testing.T, dir string) push.TLSFiles {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "gslb-syncer-ca"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: ServerName}, DNSNames: []string{ServerName},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	f := push.TLSFiles{Cert: filepath.Join(dir, "tls.crt"), Key: filepath.Join(dir, "tls.key"), CA: filepath.Join(dir, "ca.crt")}
	for path, block := range map[string]*pem.Block{
		f.CA: {Type: "CERTIFICATE", Bytes: caDER}, f.Cert: {Type: "CERTIFICATE", Bytes: der}, f.Key: {Type: "EC PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func withTLS(t *testing.T, files push.TLSFiles) func(*Options) {
	client, server, err := push.MutualTLS(files, ServerName)
	if err != nil {
		t.Fatal(err)
	}
	return func(o *Options) { o.ClientTLS, o.ServerTLS = credentials.NewTLS(client), credentials.NewTLS(server) }
}

// TestShareMutualTLS: a follower with the site's certificate follows the
// leader over mutual TLS; one with another CA's is refused, and after the
// bound probes alone.
func TestShareMutualTLS(t *testing.T) {
	site := writePKI(t, t.TempDir())
	var mu sync.Mutex
	down := map[string]string{}
	leader := newPeerWith(t, "a", down, &mu, withTLS(t, site))
	follower := newPeerWith(t, "b", down, &mu, withTLS(t, site))
	stranger := newPeerWith(t, "c", down, &mu, withTLS(t, writePKI(t, t.TempDir())))
	leader.elect.set(source.Leadership{Leading: true, Leader: leader.addr})
	follower.elect.set(source.Leadership{Leader: leader.addr})
	stranger.elect.set(source.Leadership{Leader: leader.addr})
	eventually(t, "b follows over mutual TLS", func() bool { return follower.role() == "follower" })
	eventually(t, "b serves a's decisions", func() bool { return follower.health("192.0.2.11") == gslbv1.Health_HEALTH_UP })
	before := follower.probes.Load()
	mu.Lock()
	down["192.0.2.12"] = "HTTP 503 from GET /"
	mu.Unlock()
	eventually(t, "b serves a's new decision", func() bool { return follower.health("192.0.2.12") == gslbv1.Health_HEALTH_DOWN })
	if n := follower.probes.Load() - before; n != 0 || follower.role() != "follower" {
		t.Errorf("b probed %d times while following (now %s)", n, follower.role())
	}
	eventually(t, "c, with another CA's certificate, alone", func() bool { return stranger.role() == "alone" })
}
