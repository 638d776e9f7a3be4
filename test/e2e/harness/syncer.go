package harness

import "testing"

// Syncer is a running (or exited) bin/gslb-syncer.
type Syncer struct {
	*Process
}

// StartSyncer starts gslb-syncer with args, e.g.
//
//	StartSyncer(t, "--source", "file:"+path, "--push", "unix://"+c.Sock)
//
// It does not wait for anything: the syncer has no port. Wait for its effect
// (CoreDNS.WaitLoaded, answers), or for its exit (Wait, ExitCode, Stderr)
// when a start-up failure is expected. t.Cleanup stops it with SIGTERM.
func StartSyncer(t testing.TB, args ...string) *Syncer {
	t.Helper()
	s := &Syncer{Process: newProcess(t, Cmd{Name: "gslb-syncer", Path: Bin(t, "gslb-syncer"), Args: args})}
	if err := s.start(); err != nil {
		t.Fatalf("harness: %v", err)
	}
	return s
}
