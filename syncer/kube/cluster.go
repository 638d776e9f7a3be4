package kube

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/kube/table"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
)

// stores are one generation of a member's informer caches.
type stores struct {
	svc, ing, eps cache.Indexer // indexed by FQDN and backend Service; slices by Service
	ns            cache.Store
	opt           *optionals   // Gateways and routes (optional.go)
	routers       RouterLookup // the OpenShift routers' Services (routers.go); nil: not read
}

// member is one member cluster: informers on its Services, Ingresses,
// Namespaces and EndpointSlices, and a probe that tells whether it answers.
type member struct {
	name   string
	hash   string // of the rest config: a change means new credentials or server
	cs     kubernetes.Interface
	dyn    dynamic.Interface // the optional kinds (optional.go)
	log    *slog.Logger
	opts   *Options
	notify func(keys ...workKey) // enqueues work (Source.enqueue: takes no lock of the member)
	m      *metrics

	mu        sync.Mutex
	served    *stores // the last synced caches (kept while the cluster is down)
	up        bool
	replacing bool // serving the caches of the member it replaced (new credentials) until its own sync
	downSince time.Time
	// kept are the members the plugin served for this cluster at start-up,
	// by FQDN: they stand for its objects until its first sync.
	kept     map[string][]*gslbv1.Member
	starting bool               // a new informer generation is syncing
	stopGen  context.CancelFunc // stops the current informer generation
	cancel   context.CancelFunc // stops everything of this member

	// The Objects of the cached Services and Ingresses, by the cache's
	// pointer (an update stores a new one): a full view converts only
	// the objects that changed since the last.
	convMu sync.Mutex
	conv   map[any]converted

	watched map[string]bool // optional kinds: whether watched, as last said (under mu)

	routes routeCache // the routes' Objects and what the table has of them (routecache.go)
}

// converted is an object's Object, and false when it is not a source.
type converted struct {
	obj table.Object
	ok  bool
}

// The indexes of the caches: Services and Ingresses by their backend
// Services and by FQDN; EndpointSlices by Service.
const (
	backendIndex = "backend"
	fqdnIndex    = "fqdn"
	serviceIndex = "service"
)

// objectIndexers index Services and Ingresses.
func objectIndexers() cache.Indexers {
	return cache.Indexers{
		backendIndex: func(o any) ([]string, error) { return table.BackendServices(o), nil },
		fqdnIndex:    func(o any) ([]string, error) { return table.ObjectFQDNs(o), nil },
	}
}

// sliceIndexers index EndpointSlices.
func sliceIndexers() cache.Indexers {
	return cache.Indexers{serviceIndex: func(o any) ([]string, error) {
		if k, ok := table.SliceService(o); ok {
			return []string{k}, nil
		}
		return nil, nil
	}}
}

func configHash(cfg *rest.Config) string {
	b, _ := json.Marshal(struct {
		Host, Token, BearerFile string
		CA, Cert, Key           []byte
		CAFile, CertFile        string
	}{cfg.Host, cfg.BearerToken, cfg.BearerTokenFile, cfg.CAData, cfg.CertData, cfg.KeyData, cfg.CAFile, cfg.CertFile})
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
}

// clientConfig is a copy of cfg with the client rate limits of every
// cluster's clients (client-go's 5 per second, burst 10, would slow the
// lists of a large cluster's start).
func clientConfig(cfg *rest.Config) *rest.Config {
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = 50, 100
	return cfg
}

func newMember(name string, cfg *rest.Config, s *Source) (*member, error) {
	cfg = clientConfig(cfg)
	cfg.Timeout = 0
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &member{name: name, hash: configHash(cfg), cs: cs, dyn: dyn, log: s.log.With("cluster", name), opts: &s.opts, notify: s.enqueue, m: s.metrics,
		downSince: time.Now()}, nil
}

// takeOver makes c, the same cluster with new credentials or server, serve
// old's caches and state until its own informers have synced, so that a
// credential rotation does not drop the cluster's members for a moment.
// Call it before start.
func (c *member) takeOver(old *member) {
	old.mu.Lock()
	defer old.mu.Unlock()
	c.served = old.served
	c.replacing = old.up || old.replacing
	if !c.replacing {
		c.downSince = old.downSince // an unreachable cluster keeps its grace period
	}
}

// seed gives a cluster that has not synced yet what the plugin served for
// it: its members stand for its objects until it syncs, and it counts as
// unreachable since it was last seen. Call it before start.
func (c *member) seed(kc *table.KeptCluster) {
	c.kept, c.downSince = kc.Members, kc.LastSeen
	n := 0
	for _, ms := range kc.Members {
		n += len(ms)
	}
	c.log.Info("member cluster seeded from the plugin's table: its members are kept until it syncs, for the grace period from last seen",
		"members", n, "fqdns", len(kc.Members), "last_seen", kc.LastSeen.UTC().Format(time.RFC3339), "grace", c.opts.Grace)
}

// start runs the probe loop until ctx ends or stop is called.
func (c *member) start(ctx context.Context) {
	ctx, c.cancel = context.WithCancel(ctx)
	go c.loop(ctx)
}

func (c *member) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cancel != nil {
		c.cancel()
	}
	if c.stopGen != nil {
		c.stopGen()
	}
	c.m.clusterUp.DeleteLabelValues(c.name)
}

// loop probes the cluster; on the way up it starts a fresh informer
// generation (a fast re-list instead of the reflectors' backoff) and serves
// it once synced; on the way down it stops the informers and keeps the last
// caches.
func (c *member) loop(ctx context.Context) {
	t := time.NewTicker(c.opts.Probe)
	defer t.Stop()
	expiredSeen := false
	fails, failingSince := 0, time.Time{} // consecutive failed probes, since the first of them
	for {
		err := c.probe(ctx)
		switch {
		case err == nil:
			fails = 0
		case fails == 0:
			fails, failingSince = 1, time.Now()
		default:
			fails++
		}
		c.mu.Lock()
		switch {
		case err == nil && !c.up && !c.starting:
			c.starting = true
			go c.startGeneration(ctx)
		case err != nil && (c.up || c.replacing) && fails < unreachableAfter:
			c.log.Debug("member cluster probe failed", "failures", fails, "of", unreachableAfter, "err", err)
		case err != nil && (c.up || c.replacing):
			c.up, c.replacing, c.downSince, expiredSeen = false, false, failingSince, false
			if c.stopGen != nil {
				c.stopGen()
				c.stopGen = nil
			}
			c.m.clusterUp.WithLabelValues(c.name).Set(0)
			c.log.Warn("member cluster unreachable: its last-known members are kept for the grace period", "grace", c.opts.Grace, "err", err)
			c.notify(allKey)
		case !c.up && !c.replacing && !expiredSeen && time.Since(c.downSince) >= c.opts.Grace:
			expiredSeen = true
			c.log.Warn("member cluster unreachable past the grace period", "since", c.downSince.Format(time.RFC3339))
			c.notify(allKey)
		}
		c.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// unreachableAfter is how many probes in a row must fail before a member
// cluster is taken for unreachable: one slow /readyz on a busy apiserver
// must not restart its informers (and make every syncer push and the
// status writer write). The members are kept for the grace period after
// that anyway; this only delays noticing by two probe intervals.
const unreachableAfter = 3

func (c *member) probe(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return c.cs.Discovery().RESTClient().Get().AbsPath("/readyz").Do(ctx).Error()
}

func (c *member) startGeneration(ctx context.Context) {
	genCtx, stopGen := context.WithCancel(ctx)
	labels := newLabelSets() // labelsets.go
	f := informers.NewSharedInformerFactoryWithOptions(c.cs, 0,
		informers.WithTransform(labels.strip),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {}))
	sel := func(o *metav1.ListOptions) { o.LabelSelector = c.opts.LabelSelector }
	fs := informers.NewSharedInformerFactoryWithOptions(c.cs, 0, informers.WithTransform(labels.strip), informers.WithTweakListOptions(sel))
	svc := fs.Core().V1().Services().Informer()
	ing := fs.Networking().V1().Ingresses().Informer()
	ns := f.Core().V1().Namespaces().Informer()
	opt, optSynced, optMissing, optFactories := c.startOptional(genCtx)
	routers, routersSynced := c.startRouters(genCtx)
	optSynced = append(optSynced, routersSynced...)
	fe := informers.NewSharedInformerFactoryWithOptions(c.cs, 0, informers.WithTransform(table.StripSlice),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = table.SliceServiceSelector }))
	eps := fe.Discovery().V1().EndpointSlices().Informer()
	// An EndpointSlice change concerns the FQDNs of the objects whose
	// backends include its Service.
	_ = svc.AddIndexers(objectIndexers())
	_ = ing.AddIndexers(objectIndexers())
	_ = eps.AddIndexers(sliceIndexers())
	sliceChanged := func(o any) {
		if d, ok := o.(cache.DeletedFinalStateUnknown); ok {
			o = d.Obj
		}
		key, ok := table.SliceService(o)
		if !ok {
			return
		}
		if opt.usesService(key) {
			c.notify(refKey(c.name, refBackend, key))
		}
		var fqdns []string
		for _, src := range []cache.SharedIndexInformer{svc, ing} {
			objs, _ := src.GetIndexer().ByIndex(backendIndex, key)
			for _, ob := range objs {
				fqdns = append(fqdns, table.ObjectFQDNs(ob)...)
			}
		}
		if len(fqdns) > 0 {
			c.notify(fqdnKeys(fqdns)...)
		}
	}
	_, _ = eps.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    sliceChanged,
		UpdateFunc: func(o, n any) { sliceChanged(n) },
		DeleteFunc: sliceChanged,
	})
	h := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { c.notify(fqdnKeys(table.ObjectFQDNs(o))...) },
		UpdateFunc: func(o, n any) { c.notify(fqdnKeys(append(table.ObjectFQDNs(o), table.ObjectFQDNs(n)...))...) },
		DeleteFunc: func(o any) {
			if d, ok := o.(cache.DeletedFinalStateUnknown); ok {
				o = d.Obj
			}
			c.notify(fqdnKeys(table.ObjectFQDNs(o))...)
		},
	}
	nsh := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { c.notify(allKey) },
		UpdateFunc: func(o, n any) { c.notify(allKey) },
		DeleteFunc: func(any) { c.notify(allKey) },
	}
	for _, inf := range []cache.SharedIndexInformer{svc, ing, eps} {
		if inf != eps {
			_, _ = inf.AddEventHandler(h)
		}
		_ = inf.SetWatchErrorHandlerWithContext(func(ctx context.Context, r *cache.Reflector, err error) {
			c.log.Debug("watch error", "err", err)
		})
	}
	_, _ = ns.AddEventHandler(nsh)
	f.Start(genCtx.Done())
	fs.Start(genCtx.Done())
	fe.Start(genCtx.Done())
	syncCtx, cancel := context.WithTimeout(genCtx, 30*time.Second)
	ok := cache.WaitForCacheSync(syncCtx.Done(), append([]cache.InformerSynced{svc.HasSynced, ing.HasSynced, ns.HasSynced, eps.HasSynced}, optSynced...)...)
	cancel()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.starting = false
	if !ok || genCtx.Err() != nil {
		stopGen()
		if c.replacing && genCtx.Err() == nil {
			// The new credentials do not sync (forbidden?): the old caches
			// are last-known members from now on, with the grace period.
			c.replacing, c.downSince = false, time.Now()
			c.log.Warn("member cluster does not sync with its new credentials: its last-known members are kept for the grace period", "grace", c.opts.Grace)
			c.notify(allKey)
		}
		return
	}
	if c.stopGen != nil {
		c.stopGen()
	}
	c.stopGen = stopGen
	c.served = &stores{svc: svc.GetIndexer(), ing: ing.GetIndexer(), ns: ns.GetStore(), eps: eps.GetIndexer(), opt: opt, routers: routers}
	go c.awaitCRDs(genCtx, opt, optMissing, optFactories)
	c.up, c.replacing, c.kept = true, false, nil
	c.m.clusterUp.WithLabelValues(c.name).Set(1)
	c.log.Info("member cluster synced", "services", len(c.served.svc.ListKeys()), "ingresses", len(c.served.ing.ListKeys()),
		"endpointslices", len(c.served.eps.ListKeys()))
	c.notify(allKey)
}

// snapshot returns the caches last synced (nil: none yet) and the view of
// the cluster without objects.
func (c *member) snapshot() (*stores, table.ClusterView) {
	c.mu.Lock()
	st, up, since, kept := c.served, c.up || c.replacing, c.downSince, c.kept
	c.mu.Unlock()
	v := table.ClusterView{Name: c.name, NamespaceLabels: map[string]map[string]string{}}
	v.State, v.Since = stateAt(up, since, c.opts.Grace, time.Now())
	if st == nil && !up {
		v.Kept = kept
	}
	return st, v
}

// state returns the cluster's state and, when not up, since when it is
// unreachable: what its view says of it, without reading its caches.
func (c *member) state() (table.ClusterState, time.Time) {
	c.mu.Lock()
	up, since := c.up || c.replacing, c.downSince
	c.mu.Unlock()
	return stateAt(up, since, c.opts.Grace, time.Now())
}

// stateAt is the state at now of a cluster up or unreachable since since,
// with the grace period grace.
func stateAt(up bool, since time.Time, grace time.Duration, now time.Time) (table.ClusterState, time.Time) {
	switch {
	case up:
		return table.ClusterUp, time.Time{}
	case now.Sub(since) < grace:
		return table.ClusterUnreachable, since
	default:
		return table.ClusterExpired, since
	}
}
