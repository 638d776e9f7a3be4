package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gslbdns/gslb/syncer/delegation"
	"github.com/gslbdns/gslb/syncer/push"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// delegationKeeper is the delegation of --delegation FILE: the Runner,
// and its status served on the metrics listener.
type delegationKeeper struct {
	r    *delegation.Runner // nil: no --delegation
	f    *delegation.File
	path string
}

// newDelegation makes the delegation of the file at path ("" for none);
// nothing runs before start. A bad file is an error naming the file and
// field. A control plane (Kubernetes) records the outputs' transitions as
// Events and elects the site's leader; nil: none.
func newDelegation(path string, plane controlPlane, pushers []*push.Pusher, reg prometheus.Registerer, log *slog.Logger) (*delegationKeeper, error) {
	if path == "" {
		return &delegationKeeper{}, nil
	}
	f, err := delegation.LoadFile(path)
	if err != nil {
		return nil, err
	}
	r, err := delegation.NewRunner(f, delegation.RunnerOptions{
		Ready:       func() bool { return pluginsServe(pushers) },
		Leading:     siteLeader(plane),
		Logger:      log,
		Registerer:  reg,
		Transitions: siteEvents(plane),
	})
	if err != nil {
		return nil, err
	}
	return &delegationKeeper{r: r, f: f, path: path}, nil
}

// start keeps the delegation until ctx ends: this site's NS in the parent
// while a plugin it pushes to serves a table, or the site's NS addresses
// answer for the zone (delegation.Readiness).
func (d *delegationKeeper) start(ctx context.Context, wg *sync.WaitGroup, log *slog.Logger) {
	if d.r == nil {
		return
	}
	log.Info("keeping the delegation", "file", d.path, "zone", d.f.Zone, "ns", d.f.NS,
		"withdraw_after", d.f.WithdrawAfter, "rfc2136", d.f.RFC2136 != nil, "dnsendpoint", d.f.DNSEndpoint != nil)
	wg.Go(func() { d.r.Run(ctx) })
}

// ServeHTTP serves the delegation's status as JSON (GET /status/delegation
// on the metrics listener), with the time it was read: 404 without
// --delegation.
func (d *delegationKeeper) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	if d.r == nil {
		http.Error(w, "this gslb-syncer keeps no delegation (no --delegation)", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(delegation.StatusAt{Now: time.Now().UTC(), Status: d.r.Status()})
}

// siteEvents records the delegation's transitions as Kubernetes Events
// in the config cluster, through its control plane; nil without one.
func siteEvents(plane controlPlane) func(delegation.Transition) {
	if plane == nil {
		return nil
	}
	return func(t delegation.Transition) { plane.SiteEvent(t.Event()) }
}

// siteLeader gates the delegation: only the site's leader keeps it. The
// Kubernetes control plane with the probe-lease option elects it
// (SiteLeader); without an election every syncer given --delegation leads
// its site, so give it to one syncer per site.
func siteLeader(plane controlPlane) func() bool {
	if plane == nil {
		return func() bool { return true }
	}
	return plane.SiteLeader
}

// pluginsServe is the own check of the delegation's readiness: a plugin
// this syncer pushes to acknowledged a table with records and answered the
// pusher's last check (every --resync, also while the newest table is one
// it refused). A plugin that refused the newest table as invalid still
// serves the one before.
func pluginsServe(pushers []*push.Pusher) bool {
	for _, p := range pushers {
		s := p.Stats()
		if s.AckedVersion != 0 && s.AckedRecords > 0 &&
			(s.LastError == nil || status.Code(s.LastError) == codes.InvalidArgument) {
			return true
		}
	}
	return false
}
