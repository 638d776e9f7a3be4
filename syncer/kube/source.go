// Package kube is gslb-syncer's Kubernetes source: it watches Services of
// type LoadBalancer, Ingresses and the EndpointSlices of their Services in
// several member clusters (one kubeconfig, one context per cluster), and
// GlobalDeploymentPolicy and GSLBHostRule objects in a config cluster,
// builds the table with Build (only the changed FQDNs' records after a
// change of one object), with the health checks of the members, and
// writes the policies' status back, with the health the prober found.
package kube

import (
	"context"
	"log/slog"
	"sync"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/health"
	"github.com/gslbdns/gslb/syncer/internal/observed"
	"github.com/gslbdns/gslb/syncer/source"

	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// allKey asks for a rebuild of everything (policies, namespaces, cluster state).
const allKey = "*"

// Source implements source.Source, source.Seeded and source.StatusSink (acks.go).
type Source struct {
	opts    Options
	log     *slog.Logger
	metrics *metrics
	queue   workqueue.TypedInterface[string]

	mu         sync.Mutex
	members    map[string]*member
	order      []string // member names in configuration order
	kubeHash   string   // contentHash of the kubeconfig and members file last applied
	config     *configCluster
	prevConfig *configCluster       // the replaced config cluster, served until config syncs
	firstEvent map[string]time.Time // key → when it was first enqueued

	last   []health.Record // the table last reported
	status *statusWriter

	// The worker's last result, as a full build gives it (a partial
	// build's merged in, partial.go): the status writer's input, with the
	// acks (acks.go). The status writer runs no build of its own.
	resMu      sync.Mutex
	lastKept   int // len(KeptExpired) of the last build, to log changes only
	built      Result
	statusKick chan struct{}

	acksMu sync.Mutex
	acks   acks

	// The plugin's table at start-up (see stale.go), and when it was read.
	seed   []*gslbv1.Record
	seedAt time.Time
	stale  staleLog

	probeLead observed.Value[source.Leadership] // the site's probe election (probeleader.go)
}

// Seed gives the source the table a plugin serves, read at start-up: what
// a source that has not synced yet keeps (see stale.go). Call it before
// Run; nil (no plugin answered) keeps nothing.
func (s *Source) Seed(records []*gslbv1.Record) {
	s.seed, s.seedAt = records, time.Now()
}

// New returns a source; nothing runs before Run.
func New(opts Options) *Source {
	if opts.Grace <= 0 {
		opts.Grace = DefaultGrace
	}
	if opts.Probe <= 0 {
		opts.Probe = DefaultProbe
	}
	if opts.Reload <= 0 {
		opts.Reload = DefaultReload
	}
	if opts.StartWait <= 0 {
		opts.StartWait = DefaultStartWait
	}
	opts.Lease.defaults()
	opts.ProbeLease.defaults()
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Source{
		opts: opts, log: opts.Logger.With("source", "kubernetes"), metrics: newMetrics(opts.Registerer),
		queue:   workqueue.NewTypedWithConfig(workqueue.TypedQueueConfig[string]{Name: "gslb-fqdns"}),
		members: map[string]*member{}, firstEvent: map[string]time.Time{}, statusKick: make(chan struct{}, 1),
		acks: newAcks(time.Now()),
	}
}

func (s *Source) enqueue(keys ...string) {
	now := time.Now()
	s.mu.Lock()
	for _, k := range keys {
		if _, ok := s.firstEvent[k]; !ok {
			s.firstEvent[k] = now
		}
	}
	s.mu.Unlock()
	for _, k := range keys {
		s.queue.Add(k)
	}
	s.metrics.queueDepth.Set(float64(s.queue.Len()))
}

// Run implements source.Source: it connects to every cluster, waits (up to
// StartWait) for their caches, reports the first table, then runs the work
// queue (worker.go), the status writer (statuswriter.go) and the kubeconfig
// reloads (clusters.go) until ctx ends. Clusters that do not answer count
// as unreachable; what has not synced keeps the seed (stale.go).
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
	s.startAcks()
	onChange(source.Change{Records: records, Since: time.Now()})

	var wg sync.WaitGroup
	wg.Go(func() { s.reloadLoop(ctx, onError) })
	wg.Go(func() { s.statusLoop(ctx, onError) })
	wg.Go(func() {
		<-ctx.Done()
		s.queue.ShutDown()
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
