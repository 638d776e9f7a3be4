package kube

import (
	"log/slog"
	"sync"
	"time"

	"github.com/gslbdns/gslb/syncer/internal/observed"
	"github.com/gslbdns/gslb/syncer/source"
)

// ControlPlane is this syncer's side of the config cluster beyond the
// policies the source watches: the status sink that follows what the name
// servers acknowledged (acks.go), the site's probe election
// (probeleader.go) and the site's Events (siteevents.go). gslb-syncer's
// main builds it with the source (New) and hands it to the pushers (as the
// source.StatusSink), to healthshare (as the source.ProbeElected) and to
// the delegation (SiteLeader, SiteEvent). The source connects it to the
// config cluster it runs (setConfig: a kubeconfig reload may replace it)
// and its status writer reads the acks from it.
type ControlPlane struct {
	opts Options // the Lease options; ElectProbeLeader sets the probe identity
	log  *slog.Logger

	mu     sync.Mutex
	config *configCluster // the config cluster now; nil until the source connects one

	acksMu sync.Mutex
	acks   acks

	probeLead  observed.Value[source.Leadership] // the site's probe election
	statusKick chan struct{}                     // asks the status writer to write again
}

// NewControlPlane returns the control plane of a source with opts (the
// same given to New); nothing runs before the source's Run.
func NewControlPlane(opts Options) *ControlPlane {
	opts = opts.withDefaults()
	return &ControlPlane{opts: opts, log: opts.Logger.With("source", "kubernetes"),
		acks: newAcks(time.Now()), statusKick: make(chan struct{}, 1)}
}

// setConfig makes cc the config cluster the control plane works on, and
// reads its probe election (it may have decided before).
func (p *ControlPlane) setConfig(cc *configCluster) {
	p.mu.Lock()
	p.config = cc
	p.mu.Unlock()
	p.probeChanged()
}

// configNow is the config cluster now, nil before the source connects one.
func (p *ControlPlane) configNow() *configCluster {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.config
}

// kickStatus asks the status loop to write the status again.
func (p *ControlPlane) kickStatus() {
	select {
	case p.statusKick <- struct{}{}:
	default:
	}
}
