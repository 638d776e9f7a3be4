package kube

// The member set: the kubeconfig (and members file) read again every
// Reload, the member clusters started, stopped or restarted with new
// credentials, and the config cluster replaced the same way.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"
	"github.com/gslbdns/gslb/syncer/kube/table"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
)

// membership is what the kubeconfig and members file say: the member
// clusters in order, with their configs, and the config cluster's.
type membership struct {
	key    string // contentHash of the files
	names  []string
	cfgs   map[string]*rest.Config // the usable member contexts
	config *rest.Config
}

// reload reads the kubeconfig (and the members file) and starts, stops or
// restarts clusters whose context appeared, disappeared or changed.
func (s *Source) reload(ctx context.Context) error {
	ms, changed, err := s.readMembership()
	if err != nil || !changed {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var seeds map[string]*table.KeptCluster
	if s.kubeHash == "" && s.seed != nil { // the first load: seed the clusters
		seeds = table.SeedClusters(s.seed, s.seedAt)
	}
	s.kubeHash = ms.key
	s.applyMembersLocked(ctx, ms, seeds)
	if err := s.applyConfigLocked(ctx, ms.config); err != nil {
		return err
	}
	s.enqueue(allKey)
	return nil
}

// readMembership reads the files; changed is false when they are the same
// as last applied.
func (s *Source) readMembership() (ms membership, changed bool, err error) {
	raw, err := os.ReadFile(s.opts.Kubeconfig)
	if err != nil {
		return ms, false, err
	}
	var mraw []byte
	if s.opts.MembersFile != "" {
		if mraw, err = os.ReadFile(s.opts.MembersFile); err != nil {
			return ms, false, fmt.Errorf("members file: %v", err)
		}
	}
	ms.key = contentHash(raw, mraw)
	s.mu.Lock()
	same := ms.key == s.kubeHash
	s.mu.Unlock()
	if same {
		return ms, false, nil
	}
	kc, err := clientcmd.Load(raw)
	if err != nil {
		return ms, false, fmt.Errorf("kubeconfig %s: %v", s.opts.Kubeconfig, err)
	}
	ms.names = s.opts.Members
	if s.opts.MembersFile != "" {
		if ms.names, err = ParseMembers(mraw); err != nil {
			return ms, false, fmt.Errorf("members file %s: %v (the current members stay)", s.opts.MembersFile, err)
		}
	} else if len(ms.names) == 0 {
		for n := range kc.Contexts {
			ms.names = append(ms.names, n)
		}
		slices.Sort(ms.names)
	}
	ms.cfgs = map[string]*rest.Config{}
	for _, n := range ms.names {
		if _, ok := kc.Contexts[n]; !ok {
			s.log.Error("member context not in the kubeconfig: skipped until it appears", "context", n)
			continue
		}
		c, err := clientcmd.NewNonInteractiveClientConfig(*kc, n, &clientcmd.ConfigOverrides{}, nil).ClientConfig()
		if err != nil {
			s.log.Error("member context unusable", "context", n, "err", err)
			continue
		}
		ms.cfgs[n] = c
	}
	switch {
	case s.opts.ConfigContext != "":
		ms.config, err = clientcmd.NewNonInteractiveClientConfig(*kc, s.opts.ConfigContext, &clientcmd.ConfigOverrides{}, nil).ClientConfig()
	default:
		if ms.config, err = rest.InClusterConfig(); err != nil {
			ms.config, err = clientcmd.NewNonInteractiveClientConfig(*kc, kc.CurrentContext, &clientcmd.ConfigOverrides{}, nil).ClientConfig()
		}
	}
	if err != nil {
		return ms, false, fmt.Errorf("config cluster: %v", err)
	}
	return ms, true, nil
}

// applyMembersLocked stops the member clusters removed, restarts those
// with new credentials or server (serving the old caches until the new
// ones sync) and starts the new ones, seeded when seeds has them.
func (s *Source) applyMembersLocked(ctx context.Context, ms membership, seeds map[string]*table.KeptCluster) {
	replaced := map[string]*member{}
	for name, m := range s.members {
		c, ok := ms.cfgs[name]
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
	for _, n := range ms.names {
		c, ok := ms.cfgs[n]
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
		m.start(ctx)
	}
}

// applyConfigLocked starts the config cluster's watches, or restarts them
// with new credentials or server: the old caches are served until the new
// ones have synced (an unsynced config cluster has no policies at all).
func (s *Source) applyConfigLocked(ctx context.Context, cfg *rest.Config) error {
	if s.config != nil && s.config.hash == configHash(cfg) {
		return nil
	}
	cc, err := newConfigCluster(ctx, cfg, s)
	if err != nil {
		return err
	}
	if old := s.config; old != nil {
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
	s.plane.setConfig(cc)
	go func() {
		if cache.WaitForCacheSync(cc.stopped, cc.synced) {
			s.enqueue(allKey)
		}
	}()
	s.status = &statusWriter{cc: cc}
	s.metrics.statusWriter.Set(b2f(s.status.writing()))
	return nil
}

// clusterStates returns the state of every member cluster by name, from
// a snapshot of its state alone (the status writer needs no objects).
func (s *Source) clusterStates() map[string]table.ClusterState {
	return statesOf(s.orderedMembers())
}

// statesOf returns the states of ms by name.
func statesOf(ms []*member) map[string]table.ClusterState {
	out := make(map[string]table.ClusterState, len(ms))
	for _, m := range ms {
		out[m.name], _ = m.state()
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

// viewsOf returns the views of ms.
func viewsOf(ms []*member) []table.ClusterView {
	vs := make([]table.ClusterView, len(ms))
	for i, m := range ms {
		vs[i] = m.view()
	}
	return vs
}

// policies returns the policies and host rules of the config cluster (the
// replaced one while the new one syncs).
func (s *Source) policies() ([]*v1alpha1.GlobalDeploymentPolicy, []*v1alpha1.GSLBHostRule) {
	cc := s.activeConfig()
	if cc == nil {
		return nil, nil
	}
	return cc.list()
}

// activeConfig is the config cluster whose objects apply: the replaced one
// while the new one syncs.
func (s *Source) activeConfig() *configCluster {
	s.mu.Lock()
	defer s.mu.Unlock()
	cc := s.config
	if s.prevConfig != nil && !cc.synced() {
		cc = s.prevConfig
	}
	return cc
}

// retireConfig stops the replaced config cluster once the new one has
// synced.
func (s *Source) retireConfig() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.prevConfig != nil && s.config.synced() {
		s.prevConfig.stop()
		s.prevConfig = nil
	}
}

// contentHash identifies the kubeconfig and members file read: a change
// means reloading (the content itself, credentials included, is not kept).
func contentHash(parts ...[]byte) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// reloadLoop reads the kubeconfig and members file again every Reload
// until ctx ends.
func (s *Source) reloadLoop(ctx context.Context, onError func(error)) {
	t := time.NewTicker(s.opts.Reload)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.reload(ctx); err != nil {
				onError(fmt.Errorf("kubeconfig or members file reload: %w", err))
			}
		}
	}
}

// stopClusters stops every cluster's watches, and waits until the status
// writer's Lease is released (at most the renew deadline).
func (s *Source) stopClusters() {
	s.mu.Lock()
	for _, m := range s.members {
		m.stop()
	}
	var configs []*configCluster
	for _, cc := range []*configCluster{s.config, s.prevConfig} {
		if cc != nil {
			cc.stop()
			configs = append(configs, cc)
		}
	}
	s.mu.Unlock()
	for _, cc := range configs {
		cc.awaitElection()
	}
}
