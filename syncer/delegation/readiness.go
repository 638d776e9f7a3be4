package delegation

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
)

// ReadyBy says which check found the site's DNS ready; "" is not ready.
type ReadyBy string

// The checks of Readiness.
const (
	NotReady     ReadyBy = ""
	ReadyPlugin  ReadyBy = "plugin"   // this syncer's own plugin acknowledged a table with records
	ReadySiteDNS ReadyBy = "site-dns" // the site's NS addresses answered the zone's SOA from a table
)

// Readiness is the site's readiness for its delegation: this syncer's own
// plugin holds a table, or else the site's name server addresses answer
// for the zone. The own check comes first and needs no network (a Pod that
// cannot reach its own Service, hairpin, stays ready by it); the DNS check
// keeps the site ready while the leader's own plugin is down but the
// site's other name servers serve.
type Readiness struct {
	Own  func() bool // this syncer's plugin serves a table
	Site *SiteCheck  // nil: the own check only
	Log  *slog.Logger

	last    atomic.Value // ReadyBy of the last Check
	mu      sync.Mutex   // serialises the logging of changes
	logged  ReadyBy
	started bool
}

// Check finds the readiness now: the own check, and the DNS check only
// when the own one fails. A change of verdict is logged once, never each
// check.
func (r *Readiness) Check(ctx context.Context) ReadyBy {
	by, err := r.check(ctx)
	r.last.Store(by)
	r.logChange(by, err)
	return by
}

func (r *Readiness) check(ctx context.Context) (ReadyBy, error) {
	if r.Own() {
		return ReadyPlugin, nil
	}
	if r.Site == nil {
		return NotReady, nil
	}
	ok, err := r.Site.Serves(ctx)
	if !ok {
		return NotReady, err
	}
	return ReadySiteDNS, nil
}

// Last is the verdict of the last Check ("" before the first).
func (r *Readiness) Last() ReadyBy {
	by, _ := r.last.Load().(ReadyBy)
	return by
}

// logChange logs a verdict that differs from the last one logged.
func (r *Readiness) logChange(by ReadyBy, err error) {
	if r.Log == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started && by == r.logged {
		return
	}
	first := !r.started
	r.started, r.logged = true, by
	switch {
	case by == ReadyPlugin && first:
	case by == ReadyPlugin:
		r.Log.Info("this site's DNS is ready: this syncer's plugin serves a table")
	case by == ReadySiteDNS:
		r.Log.Warn("this syncer's plugin serves no table, but the site's name server addresses answer for the zone: the delegation stays")
	case first:
		r.Log.Info("waiting for this site's DNS to be ready", errAttrs(err)...)
	case err != nil:
		r.Log.Warn("this site's DNS is not ready: this syncer's plugin serves no table and the site's name server addresses do not answer for the zone", "err", err)
	default:
		r.Log.Warn("this site's DNS is not ready: this syncer's plugin serves no table")
	}
}

// errAttrs is the log attribute of err, none for nil.
func errAttrs(err error) []any {
	if err == nil {
		return nil
	}
	return []any{"err", err}
}
