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
// one when no partial build followed it), and again after an error; only
// while this syncer is the status writer (leader.go).
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
		s.mu.Lock()
		status := s.status // reload replaces it when the config cluster's credentials change
		s.mu.Unlock()
		if !status.writing() { // another syncer holds the Lease: kicked again on gaining it
			retry = 0
			continue
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
		if err := status.write(ctx, res, s.clusterStates(), s.servedTable()); err != nil && ctx.Err() == nil {
			onError(err)
			retry = min(max(2*retry, time.Second), time.Minute)
		} else {
			retry = 0
		}
	}
}

// writerChanged follows the election of the status writer: the gauge, and
// a status written as soon as this syncer leads.
func (s *Source) writerChanged() {
	s.mu.Lock()
	writing := s.status.writing()
	s.mu.Unlock()
	s.metrics.statusWriter.Set(b2f(writing))
	if writing {
		s.kickStatus()
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
