package kube

import (
	"context"
	"strings"
	"time"

	"github.com/gslbdns/gslb/syncer/source"
)

var probeRole = electionRole{"probe leader", "probing and sharing the health with the site's other syncers",
	"following the leader's health"}

// ElectProbeLeader implements source.ProbeElected: with the probe-lease
// option, the syncer campaigns for the site's probe Lease in the config
// cluster, its identity IDENTITY@addr so that the followers find where the
// leader serves its health; it returns the Lease's duration, or false
// without probe-lease. Call it before Run.
func (p *ControlPlane) ElectProbeLeader(addr string) (time.Duration, bool) {
	if !p.opts.ProbeLease.enabled() {
		return 0, false
	}
	p.opts.ProbeLease.Identity = leaseIdentity(p.opts.Lease.Identity) + "@" + addr
	return p.opts.ProbeLease.Duration, true
}

// ProbeLeadership implements source.ProbeElected.
func (p *ControlPlane) ProbeLeadership(ctx context.Context, seen source.Leadership) (source.Leadership, error) {
	return p.probeLead.WaitFor(ctx, func(l source.Leadership) bool { return l != seen })
}

// SiteLeader tells whether this syncer leads its site's probes now: what
// features meant for one syncer per site can gate on. Without a probe
// Lease every syncer leads; with one, none does until the election says so,
// also before ElectProbeLeader, which it may run concurrently with: it
// reads the Lease's name (not enabled(), whose copy of the options would
// read the Identity ElectProbeLeader writes) and the election's state.
func (p *ControlPlane) SiteLeader() bool {
	if p.opts.ProbeLease.Name == "" {
		return true
	}
	return p.probeLead.Get().Leading
}

func (p *ControlPlane) probeElected() bool {
	return p.opts.ProbeLease.enabled() && p.opts.ProbeLease.Identity != ""
}

// startProbeElection starts the probe Lease's election on a config
// cluster's client, when ElectProbeLeader asked for it.
func (p *ControlPlane) startProbeElection(ctx context.Context, cc *configCluster) error {
	if !p.probeElected() {
		return nil
	}
	var err error
	cc.probe, err = startRoleElection(ctx, cc.cs, p.opts.ProbeLease, probeRole, p.log, p.probeChanged)
	return err
}

// probeChanged follows the probe election of the current config cluster.
func (p *ControlPlane) probeChanged() {
	p.mu.Lock() // the last update reads the last config cluster
	defer p.mu.Unlock()
	var l source.Leadership
	if cc := p.config; cc != nil && cc.probe != nil {
		l = source.Leadership{Leading: cc.probe.leading.Load(), Leader: healthAddr(cc.probe.leader())}
	}
	p.probeLead.Update(func(v *source.Leadership) { *v = l })
}

// healthAddr is the address in a probe Lease holder's identity
// (IDENTITY@HOST:PORT); "" when there is none.
func healthAddr(holder string) string {
	i := strings.LastIndex(holder, "@")
	if i < 0 {
		return ""
	}
	return holder[i+1:]
}
