package kube

import (
	"context"
	"time"
)

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
