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
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"
	"github.com/gslbdns/gslb/syncer/health"

	"google.golang.org/protobuf/proto"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/workqueue"
)

// allKey asks for a rebuild of everything (policies, namespaces, cluster state).
const allKey = "*"

// Source implements gslb-syncer's Source interface.
type Source struct {
	opts    Options
	log     *slog.Logger
	metrics *metrics
	queue   workqueue.TypedRateLimitingInterface[string]

	mu         sync.Mutex
	members    map[string]*member
	order      []string // member names in configuration order
	kubeHash   string   // the kubeconfig and members file last applied
	config     *configCluster
	prevConfig *configCluster       // the replaced config cluster, served until config syncs
	firstEvent map[string]time.Time // key → when it was first enqueued

	ctx    context.Context
	last   []health.Record // the table last reported
	status *statusWriter

	// The status loop reuses the worker's last full build when no partial
	// build came after it.
	resMu      sync.Mutex
	lastKept   int    // len(KeptExpired) of the last build, to log changes only
	builds     uint64 // builds of the work queue, full or partial
	fullRes    Result
	fullBuilds uint64 // builds when fullRes was built
	statusKick chan struct{}

	servedMu sync.Mutex
	served   []*gslbv1.Record // the table last published, with the members' health

	// The plugin's table at start-up (see stale.go), and when it was read.
	seed   []*gslbv1.Record
	seedAt time.Time
	stale  staleLog
}

// Seed gives the source the table a plugin serves, read at start-up: what
// a source that has not synced yet keeps (see stale.go). Call it before
// Load; nil (no plugin answered) keeps nothing.
func (s *Source) Seed(records []*gslbv1.Record) {
	s.seed, s.seedAt = records, time.Now()
}

// New returns a source; nothing runs before Load.
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
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Source{
		opts: opts, log: opts.Logger.With("source", "kubernetes"), metrics: newMetrics(opts.Registerer),
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "gslb-fqdns"}),
		members: map[string]*member{}, firstEvent: map[string]time.Time{}, statusKick: make(chan struct{}, 1),
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

// Load is LoadChecked without the checks.
func (s *Source) Load(ctx context.Context) ([]*gslbv1.Record, error) {
	recs, err := s.LoadChecked(ctx)
	return health.Records(recs), err
}

// LoadChecked connects to every cluster, waits (up to 30 s) for the
// caches, and returns the first table, with the health checks of the
// members. Clusters that do not answer count as unreachable.
func (s *Source) LoadChecked(ctx context.Context) ([]health.Record, error) {
	s.ctx = ctx
	if err := s.reload(); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(s.opts.StartWait)
	for time.Now().Before(deadline) && ctx.Err() == nil && !s.allSynced() {
		time.Sleep(50 * time.Millisecond)
	}
	if !s.configSynced() && s.seed == nil {
		// Without policies and without a table to keep, any table would
		// erase the plugin's: wait for the config cluster.
		s.log.Warn("config cluster not synced and no plugin served a table: nothing is pushed until it syncs")
		for ctx.Err() == nil && !s.configSynced() {
			time.Sleep(50 * time.Millisecond)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	records, res := s.build()
	s.last = records
	s.setFull(res)
	return records, nil
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

// reload reads the kubeconfig (and the members file) and starts, stops or
// restarts clusters whose context appeared, disappeared or changed.
func (s *Source) reload() error {
	raw, err := os.ReadFile(s.opts.Kubeconfig)
	if err != nil {
		return err
	}
	var mraw []byte
	if s.opts.MembersFile != "" {
		if mraw, err = os.ReadFile(s.opts.MembersFile); err != nil {
			return fmt.Errorf("members file: %v", err)
		}
	}
	key := string(raw) + "\x00" + string(mraw)
	s.mu.Lock()
	same := key == s.kubeHash
	s.mu.Unlock()
	if same {
		return nil
	}
	kc, err := clientcmd.Load(raw)
	if err != nil {
		return fmt.Errorf("kubeconfig %s: %v", s.opts.Kubeconfig, err)
	}
	names := s.opts.Members
	if s.opts.MembersFile != "" {
		if names, err = ParseMembers(mraw); err != nil {
			return fmt.Errorf("members file %s: %v (the current members stay)", s.opts.MembersFile, err)
		}
	} else if len(names) == 0 {
		for n := range kc.Contexts {
			names = append(names, n)
		}
		slices.Sort(names)
	}
	cfgs := map[string]*rest.Config{}
	for _, n := range names {
		if _, ok := kc.Contexts[n]; !ok {
			s.log.Error("member context not in the kubeconfig: skipped until it appears", "context", n)
			continue
		}
		c, err := clientcmd.NewNonInteractiveClientConfig(*kc, n, &clientcmd.ConfigOverrides{}, nil).ClientConfig()
		if err != nil {
			s.log.Error("member context unusable", "context", n, "err", err)
			continue
		}
		cfgs[n] = c
	}
	var configCfg *rest.Config
	switch {
	case s.opts.ConfigContext != "":
		configCfg, err = clientcmd.NewNonInteractiveClientConfig(*kc, s.opts.ConfigContext, &clientcmd.ConfigOverrides{}, nil).ClientConfig()
	default:
		if configCfg, err = rest.InClusterConfig(); err != nil {
			configCfg, err = clientcmd.NewNonInteractiveClientConfig(*kc, kc.CurrentContext, &clientcmd.ConfigOverrides{}, nil).ClientConfig()
		}
	}
	if err != nil {
		return fmt.Errorf("config cluster: %v", err)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	var seeds map[string]*keptCluster
	if s.kubeHash == "" && s.seed != nil { // the first load: seed the clusters
		seeds = seedClusters(s.seed, s.seedAt)
	}
	s.kubeHash = key
	replaced := map[string]*member{}
	for name, m := range s.members {
		c, ok := cfgs[name]
		switch {
		case !ok:
			// Removing a context is deliberate: its members leave at once,
			// without the grace period of an unreachable cluster.
			s.log.Info("member cluster removed: stopping its watches, its members leave", "cluster", name)
		case configHash(c) != m.hash:
			// New credentials or server: the new watches take over, and the
			// old caches are served until they have synced.
			s.log.Info("member cluster credentials or server changed: restarting its watches", "cluster", name)
			replaced[name] = m
		default:
			continue
		}
		m.stop()
		delete(s.members, name)
	}
	s.order = s.order[:0]
	for _, n := range names {
		c, ok := cfgs[n]
		if !ok {
			continue
		}
		s.order = append(s.order, n)
		if _, running := s.members[n]; running {
			continue
		}
		m, err := newMember(n, c, s)
		if err != nil {
			s.log.Error("member cluster", "cluster", n, "err", err)
			continue
		}
		if old := replaced[n]; old != nil {
			m.takeOver(old)
		} else {
			s.log.Info("member cluster added", "cluster", n, "server", c.Host)
		}
		if kc := seeds[n]; kc != nil {
			m.seed(kc)
		}
		s.members[n] = m
		m.start(s.ctx)
	}
	if s.config == nil || s.config.hash != configHash(configCfg) {
		cc, err := newConfigCluster(s.ctx, configCfg, s)
		if err != nil {
			return err
		}
		if old := s.config; old != nil {
			// Serve the old caches until the new ones have synced: an
			// unsynced config cluster would have no policies at all.
			if s.prevConfig != nil {
				s.prevConfig.stop()
				s.prevConfig = nil
			}
			if old.synced() {
				s.prevConfig = old
			} else {
				old.stop()
			}
			s.log.Info("config cluster credentials or server changed: restarting its watches")
		}
		s.config = cc
		go func() {
			if cache.WaitForCacheSync(cc.ctx.Done(), cc.synced) {
				s.enqueue(allKey)
			}
		}()
		s.status = &statusWriter{cc: cc, log: s.log, events: map[string]bool{}}
	}
	go s.enqueue(allKey)
	return nil
}

// Watch is WatchChecked without the checks.
func (s *Source) Watch(ctx context.Context, onChange func([]*gslbv1.Record), onError func(error)) error {
	return s.WatchTimed(ctx, func(recs []health.Record, _ time.Time) { onChange(health.Records(recs)) }, onError)
}

// WatchChecked is WatchTimed without the times.
func (s *Source) WatchChecked(ctx context.Context, onChange func([]health.Record), onError func(error)) error {
	return s.WatchTimed(ctx, func(recs []health.Record, _ time.Time) { onChange(recs) }, onError)
}

// Served tells the source the table last published (with the health the
// prober found): the policies' and host rules' status show it. It returns
// at once; the records must not be modified afterwards.
func (s *Source) Served(records []*gslbv1.Record) {
	s.servedMu.Lock()
	s.served = records
	s.servedMu.Unlock()
	s.kickStatus()
}

func (s *Source) servedTable() []*gslbv1.Record {
	s.servedMu.Lock()
	defer s.servedMu.Unlock()
	return s.served
}

// WatchTimed runs the work queue until ctx ends; it reports each changed
// table, with the time of the oldest watch event it reflects.
func (s *Source) WatchTimed(ctx context.Context, onChange func([]health.Record, time.Time), onError func(error)) error {
	go func() {
		t := time.NewTicker(s.opts.Reload)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				s.queue.ShutDown()
				return
			case <-t.C:
				if err := s.reload(); err != nil {
					onError(fmt.Errorf("kubeconfig or members file reload: %w", err))
				}
			}
		}
	}()
	statusDone := make(chan struct{})
	go func() {
		defer close(statusDone)
		s.statusLoop(ctx, onError)
	}()
	for {
		key, shutdown := s.queue.Get()
		if shutdown {
			break
		}
		keys := []string{key}
		for s.queue.Len() > 0 { // coalesce: one build serves every queued FQDN
			k, sd := s.queue.Get()
			if sd {
				break
			}
			keys = append(keys, k)
		}
		s.metrics.queueDepth.Set(float64(s.queue.Len()))
		s.mu.Lock()
		var first time.Time
		for _, k := range keys {
			if t, ok := s.firstEvent[k]; ok && (first.IsZero() || t.Before(first)) {
				first = t
			}
			delete(s.firstEvent, k)
		}
		s.mu.Unlock()
		var fqdns []string
		full := false
		for _, k := range keys {
			switch k {
			case allKey:
				full = true
			default:
				fqdns = append(fqdns, k)
			}
		}
		var records []health.Record
		switch {
		case full:
			var res Result
			records, res = s.build()
			s.setFull(res)
		case len(fqdns) > 0:
			records = s.buildPartial(fqdns)
		}
		if records != nil && !equalTables(records, s.last) {
			s.last = records
			if first.IsZero() {
				first = time.Now()
			}
			onChange(records, first)
			s.metrics.latency.Observe(time.Since(first).Seconds())
		}
		s.kickStatus()
		for _, k := range keys {
			s.queue.Forget(k)
			s.queue.Done(k)
		}
	}
	<-statusDone
	s.mu.Lock()
	for _, m := range s.members {
		m.stop()
	}
	if s.config != nil {
		s.config.stop()
	}
	if s.prevConfig != nil {
		s.prevConfig.stop()
	}
	s.mu.Unlock()
	return nil
}

func (s *Source) clusterStates() map[string]ClusterState {
	out := map[string]ClusterState{}
	for _, v := range s.views() {
		out[v.Name] = v.State
	}
	return out
}

// orderedMembers returns the member clusters in configuration order.
func (s *Source) orderedMembers() []*member {
	s.mu.Lock()
	defer s.mu.Unlock()
	ms := make([]*member, 0, len(s.order))
	for _, n := range s.order {
		if m := s.members[n]; m != nil {
			ms = append(ms, m)
		}
	}
	return ms
}

func (s *Source) views() []ClusterView {
	ms := s.orderedMembers()
	vs := make([]ClusterView, len(ms))
	for i, m := range ms {
		vs[i] = m.view()
	}
	return vs
}

// policies returns the policies and host rules of the config cluster (the
// replaced one while the new one syncs).
func (s *Source) policies() ([]*v1alpha1.GlobalDeploymentPolicy, []*v1alpha1.GSLBHostRule) {
	s.mu.Lock()
	cc := s.config
	if prev := s.prevConfig; prev != nil {
		if cc.synced() {
			prev.stop()
			s.prevConfig = nil
		} else {
			cc = prev
		}
	}
	s.mu.Unlock()
	if cc == nil {
		return nil, nil
	}
	return cc.list()
}

func (s *Source) setFull(res Result) {
	s.resMu.Lock()
	s.builds++
	s.fullRes, s.fullBuilds = res, s.builds
	s.resMu.Unlock()
}

// buildPartial rebuilds the records of fqdns only, from the objects that
// ask for them, and returns the last table with those records replaced.
// Build's record for an FQDN depends only on the objects that ask for it
// (and on policies, host rules, namespaces and cluster states, whose
// changes ask for a full build), so the result is what a full build gives.
func (s *Source) buildPartial(fqdns []string) []health.Record {
	if !s.configSynced() {
		return s.build0()
	}
	ms := s.orderedMembers()
	in := Input{Clusters: make([]ClusterView, len(ms)), Zones: s.opts.Zones}
	for i, m := range ms {
		in.Clusters[i] = m.partialView(fqdns)
	}
	in.Policies, in.HostRules = s.policies()
	res := Build(in)
	s.resMu.Lock()
	s.builds++
	s.resMu.Unlock()
	s.metrics.partialBuilds.Inc()

	out := mergeRecords(s.last, fqdns, res)
	s.metrics.records.Set(float64(len(out)))
	return out
}

// mergeRecords returns last (sorted by FQDN) with the records of fqdns
// replaced by those res has for them (removed when it has none); the other
// records of res are ignored. last is not modified.
func mergeRecords(last []health.Record, fqdns []string, res Result) []health.Record {
	dirty := make(map[string]bool, len(fqdns))
	for _, f := range fqdns {
		dirty[f] = true
	}
	fresh := map[string]health.Record{}
	for i, r := range res.Records {
		if dirty[r.Fqdn] {
			fresh[r.Fqdn] = health.Record{Record: r, Checks: res.Checks[i]}
		}
	}
	out := make([]health.Record, 0, len(last)+len(fresh))
	for _, r := range last {
		f := r.Record.Fqdn
		if !dirty[f] {
			out = append(out, r)
			continue
		}
		if nr, ok := fresh[f]; ok {
			out = append(out, nr)
			delete(fresh, f)
		}
	}
	if len(fresh) > 0 {
		for _, r := range fresh {
			out = append(out, r)
		}
		slices.SortFunc(out, func(a, b health.Record) int { return strings.Compare(a.Record.Fqdn, b.Record.Fqdn) })
	}
	return out
}

// kickStatus asks the status loop to write the status again.
func (s *Source) kickStatus() {
	select {
	case s.statusKick <- struct{}{}:
	default:
	}
}

// statusMinInterval spaces the status writes: a status needs a full build
// (about 200 ms with 10,000 FQDNs per cluster). The status loop waits at
// least statusBuildFactor times its last full build between two, so that
// status takes at most a tenth of a core whatever the scale.
const (
	statusMinInterval = time.Second
	statusBuildFactor = 10
)

// statusLoop writes the policies' and host rules' status when kicked, at
// most once per statusMinInterval, from a full build (the worker's last
// one when no partial build followed it), and again after an error.
func (s *Source) statusLoop(ctx context.Context, onError func(error)) {
	var last time.Time
	var spacing time.Duration
	retry := time.Duration(0)
	for {
		var wake <-chan time.Time
		if retry > 0 {
			wake = time.After(retry)
		}
		select {
		case <-ctx.Done():
			return
		case <-s.statusKick:
		case <-wake:
		}
		if d := max(statusMinInterval, spacing) - time.Since(last); d > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(d):
			}
		}
		last = time.Now()
		s.resMu.Lock()
		res, fresh := s.fullRes, s.fullBuilds == s.builds
		s.resMu.Unlock()
		if !fresh {
			start := time.Now()
			_, res = s.build()
			spacing = statusBuildFactor * time.Since(start)
		}
		s.mu.Lock()
		status := s.status // reload replaces it when the config cluster's credentials change
		s.mu.Unlock()
		if err := status.write(ctx, res, s.clusterStates(), s.servedTable()); err != nil && ctx.Err() == nil {
			onError(err)
			retry = min(max(2*retry, time.Second), time.Minute)
		} else {
			retry = 0
		}
	}
}

func (s *Source) build0() []health.Record {
	recs, _ := s.build()
	return recs
}

// build runs Build on the caches as they are now; before the config
// cluster has synced it returns the seed (see stale.go), nil without one.
func (s *Source) build() ([]health.Record, Result) {
	if !s.configSynced() {
		if s.seed == nil {
			return nil, Result{}
		}
		recs := keptTable(s.seed, s.seedAt)
		s.stale.report(s.log, s.metrics, recs)
		return recs, Result{}
	}
	in := Input{Clusters: s.views(), Zones: s.opts.Zones}
	in.Policies, in.HostRules = s.policies()
	res := Build(in)
	s.stale.report(s.log, s.metrics, toChecked(res))
	s.metrics.builds.Inc()
	s.metrics.records.Set(float64(len(res.Records)))
	s.metrics.keptExpired.Set(float64(len(res.KeptExpired)))
	s.resMu.Lock()
	if len(res.KeptExpired) > 0 && len(res.KeptExpired) != s.lastKept {
		s.log.Warn("members of clusters unreachable past the grace period kept: no other member left", "fqdns", len(res.KeptExpired), "first", res.KeptExpired[0])
	}
	s.lastKept = len(res.KeptExpired)
	s.resMu.Unlock()
	unready := map[string]int{}
	for _, r := range res.Records {
		for _, m := range r.Members {
			if m.Health == gslbv1.Health_HEALTH_DOWN && m.Cluster != "" {
				unready[m.Cluster]++
			}
		}
	}
	for _, v := range in.Clusters {
		s.metrics.unready.WithLabelValues(v.Name).Set(float64(unready[v.Name]))
	}
	return toChecked(res), res
}

func toChecked(res Result) []health.Record {
	out := make([]health.Record, len(res.Records))
	for i, r := range res.Records {
		out[i] = health.Record{Record: r, Checks: res.Checks[i]}
	}
	return out
}

func equalTables(a, b []health.Record) bool {
	return slices.EqualFunc(a, b, func(x, y health.Record) bool {
		return proto.Equal(x.Record, y.Record) && slices.EqualFunc(x.Checks, y.Checks, func(c, d *health.Check) bool {
			return (c == nil) == (d == nil) && (c == nil || *c == *d)
		})
	})
}

// configCluster watches the policies and host rules.
type configCluster struct {
	hash     string
	ctx      context.Context
	dyn      dynamic.Interface
	cs       kubernetes.Interface
	cancel   context.CancelFunc
	gdp, ghr cache.SharedIndexInformer
}

func newConfigCluster(ctx context.Context, cfg *rest.Config, s *Source) (*configCluster, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = 50, 100
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	cc := &configCluster{hash: configHash(cfg), ctx: ctx, dyn: dyn, cs: cs, cancel: cancel}
	f := dynamicinformer.NewDynamicSharedInformerFactory(dyn, 0)
	cc.gdp = f.ForResource(v1alpha1.GlobalDeploymentPolicies).Informer()
	cc.ghr = f.ForResource(v1alpha1.GSLBHostRules).Informer()
	_ = cc.gdp.SetTransform(toTyped(func() runtime.Object { return &v1alpha1.GlobalDeploymentPolicy{} }))
	_ = cc.ghr.SetTransform(toTyped(func() runtime.Object { return &v1alpha1.GSLBHostRule{} }))
	h := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { s.enqueue(allKey) },
		UpdateFunc: func(any, any) { s.enqueue(allKey) },
		DeleteFunc: func(any) { s.enqueue(allKey) },
	}
	_, _ = cc.gdp.AddEventHandler(h)
	_, _ = cc.ghr.AddEventHandler(h)
	f.Start(ctx.Done())
	return cc, nil
}

// toTyped converts the dynamic informer's objects to the typed API, so the
// cache holds them typed (and without managed fields).
func toTyped(newObj func() runtime.Object) cache.TransformFunc {
	return func(obj any) (any, error) {
		u, ok := obj.(*unstructured.Unstructured)
		if !ok {
			return obj, nil
		}
		u.SetManagedFields(nil)
		out := newObj()
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, out); err != nil {
			return nil, err
		}
		return out, nil
	}
}

func (cc *configCluster) synced() bool { return cc.gdp.HasSynced() && cc.ghr.HasSynced() }

func (cc *configCluster) stop() { cc.cancel() }

func (cc *configCluster) list() ([]*v1alpha1.GlobalDeploymentPolicy, []*v1alpha1.GSLBHostRule) {
	var ps []*v1alpha1.GlobalDeploymentPolicy
	for _, o := range cc.gdp.GetStore().List() {
		if p, ok := o.(*v1alpha1.GlobalDeploymentPolicy); ok {
			ps = append(ps, p)
		}
	}
	var rs []*v1alpha1.GSLBHostRule
	for _, o := range cc.ghr.GetStore().List() {
		if r, ok := o.(*v1alpha1.GSLBHostRule); ok {
			rs = append(rs, r)
		}
	}
	return ps, rs
}
