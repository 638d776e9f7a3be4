package kube

// The status writer: its own goroutine, a consumer of what the others
// produce, never a producer. It reads the worker's last result (lastBuilt:
// the policies' FQDNs, conflicts and per-cluster counts, from the build
// the worker ran anyway), the table last published with the members'
// health, and which name servers acknowledged it (acks.go); it runs no
// build of its own.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"
	"github.com/gslbdns/gslb/syncer/kube/table"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// statusMinInterval spaces the status writes.
const statusMinInterval = time.Second

// statusLoop writes the policies' and host rules' status when kicked (a
// build, a table published, an acknowledgement, the election won), at
// most once per statusMinInterval, once every name server acknowledged the
// table last published or ackWait after it was published; and again after
// an error, with a doubling backoff. Only while this syncer is the status
// writer (leader.go).
func (s *Source) statusLoop(ctx context.Context, onError func(error)) {
	var last time.Time
	var backoff, wake time.Duration
	for {
		if !awaitKick(ctx, s.plane.statusKick, wake) || !sleep(ctx, statusMinInterval-time.Since(last)) {
			return
		}
		wake = 0
		w := s.writer()
		if !w.writing() { // another syncer holds the Lease: kicked again on gaining it
			backoff = 0
			continue
		}
		push := s.plane.pushed()
		if d := push.Settling(time.Now()); d > 0 {
			wake = d
			continue
		}
		last = time.Now()
		if err := w.write(ctx, s.lastBuilt(), s.clusterStates(), push); err != nil && ctx.Err() == nil {
			onError(err)
			backoff = min(max(2*backoff, time.Second), time.Minute)
			wake = backoff
		} else {
			backoff = 0
		}
	}
}

// awaitKick waits for a kick, or for wake to pass (0: no timeout); false
// when ctx ended.
func awaitKick(ctx context.Context, kick <-chan struct{}, wake time.Duration) bool {
	var timer <-chan time.Time
	if wake > 0 {
		t := time.NewTimer(wake)
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-ctx.Done():
		return false
	case <-kick:
	case <-timer:
	}
	return true
}

// sleep waits d (nothing when d <= 0); false when ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// writer is the status writer of the config cluster now (reload replaces
// it when the config cluster's credentials change).
func (s *Source) writer() *statusWriter {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

// writerChanged follows the election of the status writer: the gauge, and
// a status written as soon as this syncer leads.
func (s *Source) writerChanged() {
	writing := s.writer().writing()
	s.metrics.statusWriter.Set(b2f(writing))
	if writing {
		s.plane.kickStatus()
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// statusWriter writes the policies' and host rules' status, only when it
// changed, and records an Event per new conflict.
type statusWriter struct {
	cc *configCluster
}

// writing tells whether this syncer writes the status (it holds the Lease,
// or there is no election).
func (w *statusWriter) writing() bool {
	return w != nil && w.cc != nil && w.cc.writer.writing()
}

// write writes the status of every policy and host rule that res has a
// result for, with the health and acknowledgements of push.
func (w *statusWriter) write(ctx context.Context, res table.Result, states map[string]table.ClusterState, push table.Push) error {
	if !w.writing() {
		return nil
	}
	var idx table.ServedIndex
	if push.Records != nil {
		idx = table.IndexServed(push.Records)
	}
	ps, rs := w.cc.list()
	var errs []error
	for _, p := range ps {
		r := res.Policies[table.Key(p)]
		if r == nil {
			continue
		}
		st := table.PolicyStatus(p, r, states, idx, push)
		for _, c := range r.Conflicts {
			if !slices.Contains(p.Status.Conflicts, c) { // new since the status last written
				w.cc.recorder.Event(p, corev1.EventTypeWarning, "FQDNConflict", c)
			}
		}
		if equality.Semantic.DeepEqual(st, p.Status) {
			continue
		}
		errs = append(errs, w.patch(ctx, p.Namespace, p.Name, v1alpha1.GlobalDeploymentPolicies.Resource, st))
	}
	for _, r := range rs {
		hr := res.HostRules[table.Key(r)]
		if hr == nil {
			continue
		}
		st := table.HostRuleStatus(r, hr, idx)
		if equality.Semantic.DeepEqual(st, r.Status) {
			continue
		}
		errs = append(errs, w.patch(ctx, r.Namespace, r.Name, v1alpha1.GSLBHostRules.Resource, st))
	}
	return errors.Join(errs...)
}

// patch replaces the whole status (a JSON patch "add" of /status): a merge
// patch would keep the fields the new status leaves out, such as the last
// unhealthy member once it recovers.
func (w *statusWriter) patch(ctx context.Context, ns, name, resource string, status any) error {
	body, err := json.Marshal([]map[string]any{{"op": "add", "path": "/status", "value": status}})
	if err != nil {
		return err
	}
	gvr := v1alpha1.SchemeGroupVersion.WithResource(resource)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err = w.cc.dyn.Resource(gvr).Namespace(ns).Patch(ctx, name, types.JSONPatchType, body, metav1.PatchOptions{}, "status")
	if err != nil {
		return fmt.Errorf("status of %s %s/%s: %w", resource, ns, name, err)
	}
	return nil
}
