package healthshare

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/push"
	"github.com/gslbdns/gslb/syncer/source"
	"github.com/gslbdns/gslb/test/testca"
	"github.com/gslbdns/gslb/test/wait"

	"google.golang.org/grpc/credentials"
)

// writePKI writes a CA and one certificate it signs for the DNS name
// gslb-syncer (server and client auth), as the deployments' Secret holds
// them, and returns the files.
func writePKI(t *testing.T, dir string) push.TLSFiles {
	t.Helper()
	ca, err := testca.New("gslb-syncer-ca")
	if err != nil {
		t.Fatal(err)
	}
	pair, err := ca.Issue(testca.Leaf{Name: ServerName, Server: true, Client: true, Hosts: []string{ServerName}})
	if err != nil {
		t.Fatal(err)
	}
	f := push.TLSFiles{Cert: filepath.Join(dir, "tls.crt"), Key: filepath.Join(dir, "tls.key"), CA: filepath.Join(dir, "ca.crt")}
	if err := os.WriteFile(f.CA, ca.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := pair.Write(f.Cert, f.Key); err != nil {
		t.Fatal(err)
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
	wait.For(t, 10*time.Second, "b follows over mutual TLS", func() bool { return follower.role() == "follower" })
	wait.For(t, 10*time.Second, "b serves a's decisions", func() bool { return follower.health("192.0.2.11") == gslbv1.Health_HEALTH_UP })
	before := follower.probes.Load()
	mu.Lock()
	down["192.0.2.12"] = "HTTP 503 from GET /"
	mu.Unlock()
	wait.For(t, 10*time.Second, "b serves a's new decision", func() bool { return follower.health("192.0.2.12") == gslbv1.Health_HEALTH_DOWN })
	if n := follower.probes.Load() - before; n != 0 || follower.role() != "follower" {
		t.Errorf("b probed %d times while following (now %s)", n, follower.role())
	}
	wait.For(t, 10*time.Second, "c, with another CA's certificate, alone", func() bool { return stranger.role() == "alone" })
}
