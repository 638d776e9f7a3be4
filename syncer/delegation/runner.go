package delegation

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Outputs of a Runner, the values of its metrics' output label.
const (
	OutputRFC2136     = "rfc2136"
	OutputDNSEndpoint = "dnsendpoint"
)

// RunnerOptions connect a Runner to the syncer.
type RunnerOptions struct {
	// Ready reports whether this site's DNS serves a table (required).
	Ready func() bool
	// Leading reports whether this process is the site's leader; nil
	// means always (one syncer per site carries the delegation).
	Leading    func() bool
	Logger     *slog.Logger          // default slog.Default()
	Registerer prometheus.Registerer // nil: no metrics
	MaxBackoff time.Duration         // longest wait after errors; 0 means 5 min
	// Dial opens the TCP connections to the parent server; nil means a net.Dialer.
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
}

// Runner keeps a delegation file's outputs: a Keeper for each.
type Runner struct {
	keepers []*Keeper
}

// output is one place the delegation is kept, with what its reports need.
type output struct {
	name, where string
	parent      Parent
	log         *slog.Logger
	m           *runnerMetrics
	failing     string // the reason of the last error; "" when the last step worked
	heldBack    bool   // the last withdrawal was held back (last NS)
}

// NewRunner makes the Parents of f (it reads no network yet) and registers
// the metrics.
func NewRunner(f *File, opts RunnerOptions) (*Runner, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	outs, err := outputsOf(f, opts)
	if err != nil {
		return nil, err
	}
	m := newRunnerMetrics(opts.Registerer, opts.Ready, outs)
	r := &Runner{}
	for _, o := range outs {
		o.m = m
		o.log = opts.Logger.With("zone", f.Zone, "ns", f.NS, "output", o.name, "where", o.where)
		r.keepers = append(r.keepers, &Keeper{Registrar: o.parent, Ready: opts.Ready, Leading: opts.Leading,
			WithdrawAfter: f.WithdrawAfter, Interval: f.Interval, MaxBackoff: opts.MaxBackoff, Report: o.report})
	}
	return r, nil
}

func outputsOf(f *File, opts RunnerOptions) ([]*output, error) {
	var outs []*output
	if f.RFC2136 != nil {
		cfg := *f.RFC2136
		cfg.Dial = opts.Dial
		reg, err := NewRegistrar(cfg)
		if err != nil {
			return nil, err
		}
		outs = append(outs, &output{name: OutputRFC2136, where: reg.cfg.Server + " zone " + reg.cfg.ParentZone, parent: reg})
	}
	if f.DNSEndpoint != nil {
		eps, err := NewEndpoints(*f.DNSEndpoint)
		if err != nil {
			return nil, err
		}
		outs = append(outs, &output{name: OutputDNSEndpoint, where: "DNSEndpoint " + eps.Object(), parent: eps})
	}
	if len(outs) == 0 {
		return nil, errors.New("delegation: neither rfc2136 nor dnsEndpoint is configured")
	}
	return outs, nil
}

// Run keeps every output until ctx ends.
func (r *Runner) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, k := range r.keepers {
		wg.Go(func() { k.Run(ctx) })
	}
	wg.Wait()
}

// report logs what changed and each error, and keeps the metrics. It is
// called by the output's Keeper only, one step at a time.
func (o *output) report(e Event) {
	reason := Reason(e.Err)
	o.m.step(o.name, e, reason)
	switch {
	case reason != "":
		o.log.Error("delegation update failed; retrying with backoff", "action", e.Action.String(), "reason", reason, "err", e.Err)
	case errors.Is(e.Err, ErrLastNS):
		if !o.heldBack {
			o.log.Warn("this site's DNS is not ready, but its NS is the zone's last one: not withdrawn")
		}
	case e.Changed:
		o.log.Info("delegation updated", "action", e.Action.String())
	case o.failing != "":
		o.log.Info("delegation in place again", "action", e.Action.String())
	}
	o.failing, o.heldBack = reason, errors.Is(e.Err, ErrLastNS)
}
