package delegation

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
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
	// Ready reports whether this syncer's own plugin serves a table
	// (required); the file's readiness section adds the site's DNS check.
	Ready func() bool
	// Leading reports whether this process is the site's leader; nil
	// means always (one syncer per site carries the delegation).
	Leading    func() bool
	Logger     *slog.Logger          // default slog.Default()
	Registerer prometheus.Registerer // nil: no metrics
	MaxBackoff time.Duration         // longest wait after errors; 0 means 5 min
	// Dial opens the TCP connections to the parent server; nil means a net.Dialer.
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
	// Transitions gets each output's transitions (for Kubernetes Events);
	// nil: none. It must not block for long: the output's Keeper waits.
	Transitions func(Transition)
}

// Runner keeps a delegation file's outputs: a Keeper for each.
type Runner struct {
	keepers []*Keeper
	status  *statusBoard
}

// output is one place the delegation is kept, with what its reports need.
type output struct {
	name, where string
	parent      Parent
	log         *slog.Logger
	m           *runnerMetrics
	failing     string // the reason of the last error; "" when the last step worked
	heldBack    bool   // the last withdrawal was held back (last NS)
	status      *statusBoard
	index       int // of the output in the status
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
	ready := readinessOf(f, opts)
	m := newRunnerMetrics(opts.Registerer, ready, outs)
	r := &Runner{status: newStatusBoard(initialStatus(f, outs), opts.Transitions)}
	for i, o := range outs {
		o.m, o.status, o.index = m, r.status, i
		o.log = opts.Logger.With("zone", f.Zone, "ns", f.NS, "output", o.name, "where", o.where)
		r.keepers = append(r.keepers, &Keeper{Registrar: o.parent, Ready: ready.Check, Leading: opts.Leading,
			WithdrawAfter: f.WithdrawAfter, Interval: f.Interval, MaxBackoff: opts.MaxBackoff, Report: o.report})
	}
	return r, nil
}

// readinessOf is the site's readiness: the own plugin's, and the site's
// NS addresses asked for the zone unless the file turns that off.
func readinessOf(f *File, opts RunnerOptions) *Readiness {
	r := &Readiness{Own: opts.Ready, Log: opts.Logger.With("zone", f.Zone, "ns", f.NS)}
	if f.SiteDNS && len(f.Addrs) > 0 {
		r.Site = &SiteCheck{Zone: f.Zone, Addrs: f.Addrs, Port: f.SiteDNSPort, Timeout: f.SiteDNSTimeout}
	}
	return r
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

// initialStatus is the outputs' status before their first check.
func initialStatus(f *File, outs []*output) []OutputStatus {
	addrs := addrStrings(f.Addrs)
	st := make([]OutputStatus, len(outs))
	for i, o := range outs {
		st[i] = OutputStatus{Output: o.name, Where: o.where, Zone: f.Zone, NS: f.NS, Addresses: addrs, State: StateStarting}
	}
	return st
}

func addrStrings(addrs []netip.Addr) []string {
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = a.String()
	}
	return out
}

// Status is the outputs' state now: a snapshot, never changed.
func (r *Runner) Status() *Status { return r.status.cur.Load() }

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
	o.status.update(o.index, e, reason)
	if e.Action == Hold {
		return
	}
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
