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

// writerElection is one Lease election in a config cluster: of the one
// writer of status and Events (the lease option), or of the site's probe
// leader (probe-lease, probeleader.go). With no Lease configured this
// syncer leads, with no election; with one, it leads while it holds the
// Lease (client-go's leader election). A replaced config cluster gets new
// elections on the new cluster's client.
type writerElection struct {
	leading atomic.Bool
	holder  atomic.Pointer[string] // the identity of the Lease's holder, as last observed
	done    chan struct{}          // closed when the election has ended (and released the Lease)
}

// writing tells whether this syncer leads now (for the status election:
// whether it is the status writer).
func (e *writerElection) writing() bool { return e == nil || e.leading.Load() }

// leader returns the identity of the Lease's holder as last observed; ""
// when none is known.
func (e *writerElection) leader() string {
	if e == nil {
		return ""
	}
	if h := e.holder.Load(); h != nil {
		return *h
	}
	return ""
}

// electionRole names an election in the log: who leads, and what leading
// means.
type electionRole struct {
	name              string // "status writer"
	leading, follower string // "writing status and Events", "not writing status and Events"
}

var statusRole = electionRole{"status writer", "writing status and Events", "not writing status and Events"}

// startElection campaigns for the Lease until ctx ends: after losing it,
// the syncer stops writing and campaigns again. Without a Lease configured
// it writes from the start. changed is called (from the election's
// goroutine) when this syncer starts or stops writing.
func startElection(ctx context.Context, cs kubernetes.Interface, l LeaseOptions, log *slog.Logger, changed func()) (*writerElection, error) {
	return startRoleElection(ctx, cs, l, statusRole, log, changed)
}

// startRoleElection is startElection for the election of role; changed is
// also called when another syncer is seen to take the Lease.
func startRoleElection(ctx context.Context, cs kubernetes.Interface, l LeaseOptions, role electionRole, log *slog.Logger, changed func()) (*writerElection, error) {
	e := &writerElection{done: make(chan struct{})}
	if !l.enabled() {
		e.leading.Store(true)
		close(e.done)
		return e, nil
	}
	lec, err := leaseConfig(cs, l, role, e, log, changed)
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
// identity and the callbacks that switch the role on and off.
func leaseConfig(cs kubernetes.Interface, l LeaseOptions, role electionRole, e *writerElection, log *slog.Logger, changed func()) (leaderelection.LeaderElectionConfig, error) {
	id := leaseIdentity(l.Identity)
	lease := l.Namespace + "/" + l.Name
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
		Name:            lease,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(context.Context) {
				e.holder.Store(&id)
				e.leading.Store(true)
				log.Info(role.name+": leading, "+role.leading, "lease", lease, "identity", id)
				changed()
			},
			OnStoppedLeading: func() {
				if e.leading.Swap(false) {
					log.Info(role.name+": lost the lease, "+role.follower, "lease", lease, "identity", id)
				}
				changed()
			},
			OnNewLeader: func(holder string) {
				e.holder.Store(&holder)
				if holder != id {
					log.Info(role.name+": another syncer leads, "+role.follower, "lease", lease, "leader", holder)
					changed()
				}
			},
		},
	}
	if _, err := leaderelection.NewLeaderElector(lec); err != nil {
		return lec, fmt.Errorf("lease %s: %w", lease, err)
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
