// Package kube is gslb-syncer's Kubernetes source: it watches Services of
// type LoadBalancer, Ingresses and the EndpointSlices of their Services in
// several member clusters (one kubeconfig, one context per cluster), and
// GlobalDeploymentPolicy and GSLBHostRule objects in a config cluster,
// builds the table with table.Build (only the changed FQDNs' records after a
// change of one object), with the health checks of the members, and
// writes the policies' status back, with the health the prober found.
package kube

import (
	"context"
	"log/slog"
	"sync"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/kube/table"
	"github.com/gslbdns/gslb/syncer/source"

	"k8s.io/client-go/tools/cache"
)

// Source implements source.Source and source.Seeded; its ControlPlane
// is the status sink and the probe election.
type Source struct {
	opts    Options
	log     *slog.Logger
	metrics *metrics
	queue   *workQueue // queue.go

	mu         sync.Mutex
	members    map[string]*member
	order      []string // member names in configuration order
	kubeHash   string   // contentHash of the kubeconfig and members file last applied
	config     *configCluster
	prevConfig *configCluster // the replaced config cluster, served until config syncs

	last   []*gslbv1.Record // the table last reported
	status *statusWriter

	// The worker's last result, as a full build gives it (a partial
	// build's merged in, partial.go): the status writer's input, with the
	// acks (acks.go). The status writer runs no build of its own.
	resMu    sync.Mutex
	lastKept int // len(KeptExpired) of the last build, to log changes only
	built    table.Result

	// The plugin's table at start-up (see table/stale.go), and when it was read.
	seed   []*gslbv1.Record
	seedAt time.Time
	stale  staleLog

	plane *ControlPlane // the status sink, the probe election, the site's Events (controlplane.go)
}

// Seed gives the source the table a plugin serves, read at start-up: what
// a source that has not synced yet keeps (see table/stale.go). Call it before
// Run; nil (no plugin answered) keeps nothing.
func (s *Source) Seed(records []*gslbv1.Record) {
	s.seed, s.seedAt = records, time.Now()
}

// New returns a source whose config cluster serves plane (built with the
// same opts; nil: one of its own, for a caller that needs none of it);
// nothing runs before Run.
func New(opts Options, plane *ControlPlane) *Source {
	opts = opts.withDefaults()
	if plane == nil {
		plane = NewControlPlane(opts)
	}
	return &Source{
		opts: opts, log: opts.Logger.With("source", "kubernetes"), metrics: newMetrics(opts.Registerer),
		queue: newWorkQueue(), members: map[string]*member{}, plane: plane,
	}
}

// enqueue asks the worker to rebuild keys. It takes no lock but the
// queue's: callers may hold Source.mu or a member's mu.
func (s *Source) enqueue(keys ...workKey) {
	s.queue.add(keys...)
	s.metrics.queueDepth.Set(float64(s.queue.len()))
}

// Run implements source.Source: it connects to every cluster, waits (up to
// StartWait) for their caches, reports the first table, then runs the work
// queue (worker.go), the status writer (statuswriter.go) and the kubeconfig
// reloads (clusters.go) until ctx ends. Clusters that do not answer count
// as unreachable; what has not synced keeps the seed (table/stale.go).
func (s *Source) Run(ctx context.Context, onChange func(source.Change), onError func(error)) error {
	if err := s.reload(ctx); err != nil {
		return err
	}
	s.reportEarly(ctx, onChange) // early.go
	if err := s.awaitStart(ctx); err != nil {
		return err
	}
	records, res := s.build()
	s.last = records
	s.setBuilt(res)
	s.plane.startAcks()
	onChange(source.Change{Records: records, Since: time.Now()})

	var wg sync.WaitGroup
	wg.Go(func() { s.reloadLoop(ctx, onError) })
	wg.Go(func() { s.statusLoop(ctx, onError) })
	wg.Go(func() {
		<-ctx.Done()
		s.queue.shutDown()
	})
	s.work(onChange)
	wg.Wait()
	s.stopClusters()
	return nil
}

// awaitStart waits for every cluster's caches, at most StartWait; then,
// without a seed to keep, for the config cluster's: any table would erase
// the plugin's.
func (s *Source) awaitStart(ctx context.Context) error {
	wait, cancel := context.WithTimeout(ctx, s.opts.StartWait)
	defer cancel()
	cache.WaitForCacheSync(wait.Done(), s.allSynced)
	if !s.configSynced() && s.seed == nil {
		s.log.Warn("config cluster not synced and no plugin served a table: nothing is pushed until it syncs")
		cache.WaitForCacheSync(ctx.Done(), s.configSynced)
	}
	return ctx.Err()
}

func (s *Source) allSynced() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.configSyncedLocked() {
		return false
	}
	for _, m := range s.members {
		m.mu.Lock()
		up := m.up
		m.mu.Unlock()
		if !up {
			return false
		}
	}
	return true
}

// configSynced tells whether the policies are known: the config
// cluster's caches (or those of the one it replaces) have synced.
func (s *Source) configSynced() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.configSyncedLocked()
}

func (s *Source) configSyncedLocked() bool {
	return (s.config != nil && s.config.synced()) || s.prevConfig != nil
}
