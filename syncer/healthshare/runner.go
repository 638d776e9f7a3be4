package healthshare

import (
	"context"
	"time"

	"github.com/gslbdns/gslb/syncer/internal/clock"
	"github.com/gslbdns/gslb/syncer/source"
)

// runner owns the role: every input (the election, the leader's stream,
// the waiting's end) comes to its one goroutine, which switches the prober
// and the server.
type runner struct {
	o       Options
	srv     *server
	m       *machine
	metrics *metrics

	leadership source.Leadership
	following  bool // a leader's stream gave its full state and lives
	role       Role

	// The follow loop of the leader it watches.
	watching  string // the leader's address; "" when none
	gen       uint64
	cancelGen context.CancelFunc
}

func newRunner(o Options, srv *server) *runner {
	r := &runner{o: o, srv: srv, m: newMachine(o.Clock.Now(), o.Bound), metrics: newMetrics(o.Registerer), role: -1}
	return r
}

func (r *runner) run(ctx context.Context) error {
	leaderships := make(chan source.Leadership)
	go r.watchElection(ctx, leaderships)
	events := make(chan streamEvent)
	defer r.stopWatching()
	r.apply()
	for {
		var wake <-chan time.Time
		var timer clock.Timer
		if d := r.m.deadline(); !d.IsZero() {
			timer = r.o.Clock.NewTimer(d.Sub(r.o.Clock.Now()))
			wake = timer.C()
		}
		select {
		case <-ctx.Done():
			return nil
		case l := <-leaderships:
			r.leadership = l
			r.metrics.setLeader(l.Leader, r.isSelf(l.Leader))
			r.follow(ctx, events)
		case e := <-events:
			r.onStream(e)
		case <-wake:
		}
		if timer != nil {
			timer.Stop()
		}
		r.apply()
	}
}

// watchElection sends each new leadership.
func (r *runner) watchElection(ctx context.Context, out chan<- source.Leadership) {
	var seen source.Leadership
	for {
		l, err := r.o.Election.ProbeLeadership(ctx, seen)
		if err != nil {
			return
		}
		seen = l
		select {
		case out <- l:
		case <-ctx.Done():
			return
		}
	}
}

// follow watches the leader the election names, unless this syncer leads
// or the leader named is itself (it lost the Lease it last held: it goes on
// probing alone).
func (r *runner) follow(ctx context.Context, events chan<- streamEvent) {
	addr := r.leadership.Leader
	if r.leadership.Leading || r.isSelf(addr) {
		addr = ""
	}
	if addr == r.watching {
		return
	}
	r.stopWatching()
	r.watching = addr
	if addr == "" {
		return
	}
	r.o.Logger.Info("probe follower: watching the site's probe leader", "leader", addr)
	fctx, cancel := context.WithCancel(ctx)
	r.gen++
	r.cancelGen = cancel
	go followLoop(fctx, r.gen, addr, r.o.Identity, r.o.ClientTLS, r.o, events)
}

// isSelf tells whether addr, a Lease holder's address, is this syncer's:
// the address it advertises (its Identity, e.g. $POD_IP:9155 while it
// listens on :9155) or its listener's. Following itself would stop its own
// probes, end its own stream and leave the site's health frozen.
func (r *runner) isSelf(addr string) bool {
	return addr != "" && (addr == r.o.Identity || addr == r.o.Listener.Addr().String())
}

func (r *runner) stopWatching() {
	if r.cancelGen != nil {
		r.cancelGen()
		r.cancelGen = nil
	}
	r.following = false
}

// onStream takes an event of the current follow loop.
func (r *runner) onStream(e streamEvent) {
	if e.gen != r.gen || r.watching == "" {
		return
	}
	switch e.kind {
	case eventFull:
		r.following = true
		r.apply() // follow before applying: Apply is ignored while probing
		r.o.Prober.Apply(e.ds, true)
	case eventChanges:
		r.o.Prober.Apply(e.ds, false)
	case eventLost:
		r.following = false
		r.o.Logger.Warn("probe follower: lost the leader's stream", "leader", r.watching, "err", e.err, "alone after", r.o.Bound)
	}
}

// apply steps the machine and switches the prober, the server, the log
// and the metric to the role.
func (r *runner) apply() {
	role := r.m.step(r.leadership.Leading, r.following && !r.leadership.Leading, r.o.Clock.Now())
	if role == r.role {
		return
	}
	from := r.role
	r.role = role
	r.o.Prober.Follow(!role.Probing())
	r.srv.setServing(role.Probing())
	r.metrics.set(role)
	args := []any{"role", role.String(), "leader", r.leadership.Leader}
	if from >= 0 {
		args = append(args, "was", from.String())
	}
	switch role {
	case RoleAlone:
		r.o.Logger.Warn("probes: no probe leader's stream, probing alone", args...)
	default:
		r.o.Logger.Info("probes: role changed", args...)
	}
}
