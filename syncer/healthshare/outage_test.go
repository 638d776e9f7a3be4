package healthshare

import (
	"net"
	"sync"
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/push"
	"github.com/gslbdns/gslb/syncer/source"
	"github.com/gslbdns/gslb/test/wait"
)

// everyAddress is a loopback listener that reports the address of one
// listening on every address (":PORT"), as a Pod's syncer does with
// --health-listen=:9155 and advertises $POD_IP:9155.
type everyAddress struct{ net.Listener }

func (l everyAddress) Addr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4zero, Port: l.Listener.Addr().(*net.TCPAddr).Port}
}

// advertised runs a peer as gslb-syncer does in a Pod: over mutual TLS,
// its listener's address is not the one in its Lease, which is its
// Identity.
func advertised(t *testing.T, files push.TLSFiles) func(*Options) {
	tls := withTLS(t, files)
	return func(o *Options) {
		tls(o)
		// Three silent heartbeats lose the stream: wide enough for -race on
		// a loaded machine, as this test asks for continuity.
		o.Heartbeat = 250 * time.Millisecond
		o.Identity = o.Listener.Addr().String()
		o.Listener = everyAddress{o.Listener}
	}
}

// TestConfigOutageLeaderProbesOn: the config cluster unreachable, the
// leader cannot renew its Lease and the election still names it (the last
// holder seen). It must not follow itself: it goes on probing alone and
// serving, its follower keeps following it, and both decide a member down.
func TestConfigOutageLeaderProbesOn(t *testing.T) {
	var mu sync.Mutex
	down := map[string]string{}
	site := writePKI(t, t.TempDir())
	a := newPeerWith(t, "a", down, &mu, advertised(t, site))
	b := newPeerWith(t, "b", down, &mu, advertised(t, site))
	a.elect.set(source.Leadership{Leading: true, Leader: a.addr})
	b.elect.set(source.Leadership{Leader: a.addr})
	wait.For(t, 10*time.Second, "a leads, b follows", func() bool { return a.role() == "leader" && b.role() == "follower" })

	a.elect.set(source.Leadership{Leader: a.addr}) // the Lease not renewed: RenewDeadline passed
	wait.For(t, 10*time.Second, "a alone", func() bool { return a.role() == "alone" })
	// Several bounds (500ms): long enough for a syncer that follows itself
	// to stop probing, lose its own stream and wait.
	for end := time.Now().Add(4 * 500 * time.Millisecond); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if ra, rb := a.role(), b.role(); ra != "alone" || rb != "follower" {
			t.Fatalf("config cluster unreachable: a is %s, b is %s; want alone and follower", ra, rb)
		}
	}
	if l, self := a.leaderSeries(); l != a.addr || !self {
		t.Errorf("a's gslb_syncer_probe_leader names %q (self %t), want itself, %s", l, self, a.addr)
	}
	if l, self := b.leaderSeries(); l != a.addr || self {
		t.Errorf("b's gslb_syncer_probe_leader names %q (self %t), want a, %s", l, self, a.addr)
	}
	before := b.probes.Load()
	mu.Lock()
	down["192.0.2.12"] = "HTTP 503 from GET /"
	mu.Unlock()
	wait.For(t, 10*time.Second, "a decides .12 down", func() bool { return a.health("192.0.2.12") == gslbv1.Health_HEALTH_DOWN })
	wait.For(t, 10*time.Second, "b serves .12 down", func() bool { return b.health("192.0.2.12") == gslbv1.Health_HEALTH_DOWN })
	if n := b.probes.Load() - before; n != 0 {
		t.Errorf("b, a follower, probed %d times", n)
	}

	a.elect.set(source.Leadership{Leading: true, Leader: a.addr}) // the Lease renewed again
	wait.For(t, 10*time.Second, "a leads again", func() bool { return a.role() == "leader" })
	if r := b.role(); r != "follower" {
		t.Errorf("b is %s after a took its Lease back, want follower (no flapping)", r)
	}
}

// leaderSeries is the leader gslb_syncer_probe_leader names, and whether it
// is p ("" when there is no series).
func (p *peer) leaderSeries() (string, bool) {
	mfs, err := p.reg.Gather()
	if err != nil {
		p.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "gslb_syncer_probe_leader" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			return labels["leader"], labels["self"] == "true"
		}
	}
	return "", false
}
