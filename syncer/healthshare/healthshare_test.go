package healthshare

import (
	"context"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/health"
	"github.com/gslbdns/gslb/syncer/internal/observed"
	"github.com/gslbdns/gslb/syncer/source"
	"github.com/gslbdns/gslb/test/wait"

	"github.com/prometheus/client_golang/prometheus"
)

// election is the Lease's verdict as a test sets it.
type election struct {
	v observed.Value[source.Leadership]
}

func (e *election) set(l source.Leadership) { e.v.Update(func(v *source.Leadership) { *v = l }) }

func (e *election) ProbeLeadership(ctx context.Context, seen source.Leadership) (source.Leadership, error) {
	return e.v.WaitFor(ctx, func(l source.Leadership) bool { return l != seen })
}

// peer is one syncer of the site: a prober whose probes are counted and
// fail on demand, its tables, and the sharing.
type peer struct {
	t      *testing.T
	name   string
	prober *health.Prober
	elect  *election
	reg    *prometheus.Registry
	addr   string
	probes atomic.Int64
	cancel context.CancelFunc
	done   chan struct{}

	mu   sync.Mutex
	last []*gslbv1.Record
}

var check = health.Check{Type: health.TypeHTTP, Port: 80, Interval: 100 * time.Millisecond, Timeout: 50 * time.Millisecond,
	Rise: 2, Fall: 2}.WithDefaults("hello.example.")

func records() []*gslbv1.Record {
	r := &gslbv1.Record{Fqdn: "hello.example."}
	for _, a := range []string{"192.0.2.11", "192.0.2.12"} {
		r.Members = append(r.Members, &gslbv1.Member{Address: a, Weight: 1, Check: check.Proto()})
	}
	return []*gslbv1.Record{r}
}

func newPeer(t *testing.T, name string, down map[string]string, mu *sync.Mutex) *peer {
	return newPeerWith(t, name, down, mu, nil)
}

// newPeerWith is newPeer with tune changing the sharing's options.
func newPeerWith(t *testing.T, name string, down map[string]string, mu *sync.Mutex, tune func(*Options)) *peer {
	p := &peer{t: t, name: name, elect: &election{}, reg: prometheus.NewRegistry(), done: make(chan struct{})}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	p.prober = health.New(health.Options{Logger: log, Probe: func(ctx context.Context, tg health.Target) health.Result {
		p.probes.Add(1)
		mu.Lock()
		reason, bad := down[tg.Address]
		mu.Unlock()
		if bad {
			return health.Result{Reason: reason}
		}
		return health.Result{OK: true, Reason: "HTTP 200 from GET /"}
	}})
	p.prober.Update(records())
	p.prober.Follow(true)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = l.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	opts := Options{Prober: p.prober, Election: p.elect, Listener: l, Identity: name, Bound: 500 * time.Millisecond,
		Heartbeat: 50 * time.Millisecond, Logger: log, Registerer: p.reg}
	if tune != nil {
		tune(&opts)
	}
	go func() {
		defer close(p.done)
		var wg sync.WaitGroup
		wg.Go(func() {
			p.prober.Run(ctx, func(tab health.Table) {
				p.mu.Lock()
				p.last = tab.Records
				p.mu.Unlock()
			})
		})
		if err := Run(ctx, opts); err != nil {
			t.Error(err)
		}
		wg.Wait()
	}()
	t.Cleanup(p.stop)
	return p
}

func (p *peer) stop() {
	p.cancel()
	<-p.done
}

// role is the role gslb_syncer_probe_role shows ("" before Run registers it).
func (p *peer) role() string {
	mfs, err := p.reg.Gather()
	if err != nil {
		p.t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if mf.GetName() == "gslb_syncer_probe_role" && m.GetGauge().GetValue() == 1 {
				return m.GetLabel()[0].GetValue()
			}
		}
	}
	return ""
}

func (p *peer) health(addr string) gslbv1.Health {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range p.last {
		for _, m := range r.GetMembers() {
			if m.GetAddress() == addr {
				return m.GetHealth()
			}
		}
	}
	return gslbv1.Health_HEALTH_UNKNOWN
}

// TestShare: the leader probes, the follower probes nothing and serves the
// leader's decisions; the leader gone, the follower waits the bound, then
// probes alone.
func TestShare(t *testing.T) {
	var mu sync.Mutex
	down := map[string]string{}
	leader := newPeer(t, "a", down, &mu)
	follower := newPeer(t, "b", down, &mu)
	leader.elect.set(source.Leadership{Leading: true, Leader: leader.addr})
	follower.elect.set(source.Leadership{Leader: leader.addr})
	wait.For(t, 10*time.Second, "a leads, b follows", func() bool { return leader.role() == "leader" && follower.role() == "follower" })
	wait.For(t, 10*time.Second, "b serves a's decisions", func() bool { return follower.health("192.0.2.11") == gslbv1.Health_HEALTH_UP })
	before := follower.probes.Load()

	mu.Lock()
	down["192.0.2.12"] = "HTTP 503 from GET /"
	mu.Unlock()
	wait.For(t, 10*time.Second, "a decides .12 down", func() bool { return leader.health("192.0.2.12") == gslbv1.Health_HEALTH_DOWN })
	decided := time.Now()
	wait.For(t, 10*time.Second, "b serves .12 down", func() bool { return follower.health("192.0.2.12") == gslbv1.Health_HEALTH_DOWN })
	if d := time.Since(decided); d > time.Second {
		t.Errorf("the follower took %v after the leader's decision, want under 1 s", d)
	}
	if n := follower.probes.Load(); n != before {
		t.Errorf("the follower probed %d times while following", n-before)
	}

	// A leader's stream serves only its leader: b is refused by a follower.
	leader.stop()
	lost := time.Now()
	wait.For(t, 10*time.Second, "b alone after the bound", func() bool { return follower.role() == "alone" })
	if d := time.Since(lost); d < 400*time.Millisecond {
		t.Errorf("b probed alone %v after losing the leader, want the bound (500ms) first", d)
	}
	wait.For(t, 10*time.Second, "b probes", func() bool { return follower.probes.Load() > before })
	if h := follower.health("192.0.2.12"); h != gslbv1.Health_HEALTH_DOWN {
		t.Errorf("b alone shows .12 %v, want DOWN (kept from the leader, still failing)", h)
	}
}

// A syncer that does not probe refuses to serve its health.
func TestShareRefusedByFollower(t *testing.T) {
	var mu sync.Mutex
	a := newPeer(t, "a", map[string]string{}, &mu)
	b := newPeer(t, "b", map[string]string{}, &mu)
	a.elect.set(source.Leadership{Leading: true, Leader: a.addr})
	b.elect.set(source.Leadership{Leader: a.addr})
	wait.For(t, 10*time.Second, "b follows", func() bool { return b.role() == "follower" })
	c := newPeer(t, "c", map[string]string{}, &mu)
	c.elect.set(source.Leadership{Leader: b.addr}) // a stale view: b is no leader
	wait.For(t, 10*time.Second, "c alone", func() bool { return c.role() == "alone" })
	if n := b.probes.Load(); n != 0 {
		t.Errorf("b, a follower, probed %d times", n)
	}
}
