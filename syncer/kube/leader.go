package kube

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// writerElection tells whether this syncer writes the status and Events of
// one config cluster. With no Lease configured it always does; with one, it
// does while it holds the Lease (client-go's leader election). A replaced
// config cluster gets a new election on the new cluster's client.
type writerElection struct {
	leading atomic.Bool
	done    chan struct{} // closed when the election has ended (and released the Lease)
}

// writing tells whether this syncer is the status writer now.
func (e *writerElection) writing() bool { return e == nil || e.leading.Load() }

// startElection campaigns for the Lease until ctx ends: after losing it,
// the syncer stops writing and campaigns again. Without a Lease configured
// it writes from the start. changed is called (from the election's
// goroutine) when this syncer starts or stops writing.
func startElection(ctx context.Context, cs kubernetes.Interface, l LeaseOptions, log *slog.Logger, changed func()) (*writerElection, error) {
	e := &writerElection{done: make(chan struct{})}
	if !l.enabled() {
		e.leading.Store(true)
		close(e.done)
		return e, nil
	}
	lec, err := leaseConfig(cs, l, e, log, changed)
	if err != nil {
		return nil, err
	}
	go func() {
		defer close(e.done)
		for ctx.Err() == nil {
			le, err := leaderelection.NewLeaderElector(lec)
			if err != nil { // leaseConfig checked this configuration: not reached
				log.Error("leader election", "err", err)
				return
			}
			le.Run(ctx)
		}
	}()
	return e, nil
}

// leaseConfig is the election's configuration: the Lease, this syncer's
// identity and the callbacks that switch the status writer on and off.
func leaseConfig(cs kubernetes.Interface, l LeaseOptions, e *writerElection, log *slog.Logger, changed func()) (leaderelection.LeaderElectionConfig, error) {
	id := leaseIdentity(l.Identity)
	lec := leaderelection.LeaderElectionConfig{
		Lock: &resourcelock.LeaseLock{
			LeaseMeta:  metav1.ObjectMeta{Namespace: l.Namespace, Name: l.Name},
			Client:     cs.CoordinationV1(),
			LockConfig: resourcelock.ResourceLockConfig{Identity: id},
		},
		LeaseDuration:   l.Duration,
		RenewDeadline:   l.Renew,
		RetryPeriod:     l.Retry,
		ReleaseOnCancel: true,
		Name:            l.Namespace + "/" + l.Name,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(context.Context) {
				e.leading.Store(true)
				log.Info("status writer: leading, writing status and Events", "lease", l.Namespace+"/"+l.Name, "identity", id)
				changed()
			},
			OnStoppedLeading: func() {
				if e.leading.Swap(false) {
					log.Info("status writer: lost the lease, not writing status and Events", "lease", l.Namespace+"/"+l.Name, "identity", id)
				}
				changed()
			},
			OnNewLeader: func(holder string) {
				if holder != id {
					log.Info("status writer: another syncer leads, not writing status and Events", "lease", l.Namespace+"/"+l.Name, "leader", holder)
				}
			},
		},
	}
	if _, err := leaderelection.NewLeaderElector(lec); err != nil {
		return lec, fmt.Errorf("lease %s/%s: %w", l.Namespace, l.Name, err)
	}
	return lec, nil
}

// leaseIdentity is the identity option, else the Pod's name, else
// HOSTNAME_PID (two syncers on one host are two identities).
func leaseIdentity(opt string) string {
	if opt != "" {
		return opt
	}
	if p := os.Getenv("POD_NAME"); p != "" {
		return p
	}
	h, _ := os.Hostname()
	return fmt.Sprintf("%s_%d", h, os.Getpid())
}

// defaults fills the durations left zero (Options built in code).
func (l *LeaseOptions) defaults() {
	for _, d := range []struct {
		p   *time.Duration
		def time.Duration
	}{{&l.Duration, DefaultLeaseDuration}, {&l.Renew, DefaultLeaseRenew}, {&l.Retry, DefaultLeaseRetry}} {
		if *d.p <= 0 {
			*d.p = d.def
		}
	}
}
