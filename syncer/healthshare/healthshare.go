// Package healthshare makes one syncer per site probe the members: the
// site's probe leader (elected with a Lease, see the kube source's
// probe-lease option) probes and serves its decisions over gRPC
// (gslb.v1.HealthShare); the site's other syncers follow it, probing
// nothing, and push the leader's decisions to their own plugins like their
// own. Each plugin keeps one writer, its own syncer.
//
// A syncer that has no leader's stream for longer than Options.Bound (no
// leader elected, the leader gone, the config cluster unreachable) probes
// by itself, so the probes multiply only during the outage; a leader that
// loses its Lease goes on probing until it follows the new one. See role.go
// for the state machine.
package healthshare

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/health"
	"github.com/gslbdns/gslb/syncer/internal/clock"
	"github.com/gslbdns/gslb/syncer/source"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// Election tells who leads the site's probes (the kube source).
type Election interface {
	// ProbeLeadership blocks until the leadership differs from seen, or
	// ctx ends.
	ProbeLeadership(ctx context.Context, seen source.Leadership) (source.Leadership, error)
}

// Defaults of Options.
const (
	DefaultBound       = 15 * time.Second // the default lease duration
	DefaultHeartbeat   = time.Second
	DefaultBackoffBase = 100 * time.Millisecond
	DefaultBackoffMax  = 2 * time.Second
	// ServerName is the name the syncers' certificate must carry for the
	// health stream's mutual TLS (followers dial the leader by address).
	ServerName = "gslb-syncer"
)

// Options configure Run.
type Options struct {
	Prober   *health.Prober
	Election Election
	// Listener is where this syncer serves its decisions (its address is
	// in its Lease identity).
	Listener net.Listener
	// Identity names this syncer to the leader (its log): the address the
	// others reach it at, as its Lease identity carries it (what gslb-syncer
	// sets). A Lease naming it, or the Listener's address, is this syncer.
	Identity string
	// ServerTLS and ClientTLS are mutual TLS; both nil: plain gRPC, which
	// Run allows on loopback listeners only.
	ServerTLS, ClientTLS credentials.TransportCredentials
	// Bound is how long a syncer without a leader's stream waits before it
	// probes by itself. Default DefaultBound.
	Bound time.Duration
	// Heartbeat is how often the leader's stream shows it lives; a stream
	// silent for three is lost. Default DefaultHeartbeat.
	Heartbeat               time.Duration
	BackoffBase, BackoffMax time.Duration
	Clock                   clock.Clock
	Logger                  *slog.Logger
	Registerer              prometheus.Registerer
}

func (o Options) withDefaults() Options {
	if o.Bound <= 0 {
		o.Bound = DefaultBound
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = DefaultHeartbeat
	}
	if o.BackoffBase <= 0 {
		o.BackoffBase = DefaultBackoffBase
	}
	if o.BackoffMax <= 0 {
		o.BackoffMax = DefaultBackoffMax
	}
	if o.Clock == nil {
		o.Clock = clock.Real()
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.ServerTLS == nil {
		o.ServerTLS, o.ClientTLS = insecure.NewCredentials(), insecure.NewCredentials()
	}
	return o
}

// ErrPlainNotLoopback refuses plain gRPC on an address other hosts reach.
var ErrPlainNotLoopback = errors.New("the health stream without mutual TLS listens on loopback only")

// Check tells whether opts can run: plain gRPC only on loopback.
func Check(opts Options) error {
	if opts.ServerTLS != nil {
		return nil
	}
	if a, ok := opts.Listener.Addr().(*net.TCPAddr); ok && a.IP.IsLoopback() {
		return nil
	}
	if opts.Listener.Addr().Network() == "unix" {
		return nil
	}
	return ErrPlainNotLoopback
}

// Run serves and follows until ctx ends: it switches the prober between
// probing and following as the role changes (role.go).
func Run(ctx context.Context, opts Options) error {
	if err := Check(opts); err != nil {
		return err
	}
	o := opts.withDefaults()
	srv := newServer(o.Prober, o.Logger, o.Heartbeat)
	gs := grpc.NewServer(grpc.Creds(o.ServerTLS))
	gslbv1.RegisterHealthShareServer(gs, srv)
	served := make(chan error, 1)
	go func() { served <- gs.Serve(o.Listener) }()
	defer func() {
		srv.setServing(false)
		gs.Stop()
		<-served
	}()
	r := newRunner(o, srv)
	return r.run(ctx)
}
