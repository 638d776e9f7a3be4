package k8senv

import (
	"context"
	"fmt"
	"time"

	"github.com/gslbdns/gslb/test/internal/testhost"
)

const (
	// readyTimeout bounds the wait for a server to become ready. Start-up
	// takes seconds; the margin is for a loaded machine.
	readyTimeout = 2 * time.Minute
	// pollInterval is the pause between two readiness probes.
	pollInterval = 50 * time.Millisecond
	// probeTimeout bounds one probe: a port taken by another process may
	// accept connections and never answer.
	probeTimeout = 5 * time.Second
)

// pollReady calls probe every pollInterval until it succeeds, the process
// exits, or readyTimeout passes. Its errors include the tail of the
// process's log.
func pollReady(p *testhost.Proc, probe func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	// An exit ends the wait at once, even in the middle of a probe.
	go func() {
		select {
		case <-p.Done():
			cancel()
		case <-ctx.Done():
		}
	}()
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	for {
		pctx, pcancel := context.WithTimeout(ctx, probeTimeout)
		err := probe(pctx)
		pcancel()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			if p.Exited() {
				return fmt.Errorf("%s exited before it was ready (%s); the end of its log %s:\n%s",
					p.Label(), p.ExitText(), p.LogPath(), testhost.Tail(p.RunLog(), 20))
			}
			return fmt.Errorf("%s not ready after %v (last probe: %v); the end of its log %s:\n%s",
				p.Label(), readyTimeout, err, p.LogPath(), testhost.Tail(p.RunLog(), 20))
		case <-ticker.C:
		}
	}
}
