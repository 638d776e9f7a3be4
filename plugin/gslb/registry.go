package gslb

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// registry holds the feeds of the process by listen address.
//
// It is the plugin's one piece of process-wide state, and it has to be: a
// CoreDNS reload builds every plugin anew (setup runs for the new Corefile,
// the new instance starts, then the old one shuts down), and only state kept
// outside the instances lets the table, the gRPC listener and the syncer's
// connection carry over, so that queries never see an empty table after a
// reload. Feeds are reference counted by the server blocks that started
// them; the last one to shut down stops the listener and flushes the table.
// CoreDNS's own metrics plugin keeps its listeners the same way.
type registry struct {
	mu    sync.Mutex
	feeds map[string]*feed

	now func() time.Time
	rng Rand
	reg prometheus.Registerer
}

var feeds = &registry{
	feeds: map[string]*feed{},
	now:   time.Now,
	rng:   runtimeRand{},
	reg:   prometheus.DefaultRegisterer,
}

// get returns the feed of addr, creating it (not started) if needed. A
// feed's tls and persist settings must agree across server blocks.
func (r *registry) get(addr string, tlsArgs []string, persist string) (*feed, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f := r.feeds[addr]
	if f == nil {
		f = newFeed(addr, r.now)
		f.tlsArgs, f.persist = tlsArgs, persist
		r.feeds[addr] = f
		return f, nil
	}
	if f.refs > 0 || f.srv != nil {
		// Running: a reload may change nothing about the listener itself.
		if !slices.Equal(f.tlsArgs, tlsArgs) {
			return nil, fmt.Errorf("listen %s: tls settings differ from the running listener; restart CoreDNS to change them", addr)
		}
	} else {
		f.tlsArgs = tlsArgs
	}
	if f.persist != persist {
		if f.refs > 0 {
			return nil, fmt.Errorf("listen %s: persist %q differs from %q used with the same listener", addr, persist, f.persist)
		}
		f.persist = persist
	}
	return f, nil
}

// start is called from each server block's OnStartup. The first one restores
// the persisted table, starts the gRPC server and registers the metrics.
func (r *registry) start(f *feed) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	f.refs++
	if f.refs > 1 {
		return nil
	}
	if f.persist != "" && f.table.Load() == nil {
		s, err := readSnapshot(f.persist)
		switch {
		case err != nil:
			log.Errorf("persist: ignoring %s: %v; not ready until a table is pushed", f.persist, err)
		case s != nil:
			if err := f.restore(s); err != nil {
				log.Errorf("persist: ignoring %s: %v; not ready until a table is pushed", f.persist, err)
			} else {
				log.Infof("restored table version %d (%d records) from %s", s.GetVersion(), len(s.GetRecords()), f.persist)
			}
		}
	}
	srv, err := startServer(f)
	if err != nil {
		f.refs--
		return fmt.Errorf("listen %s: %v", f.addr, err)
	}
	f.srv = srv
	if f.persist != "" {
		f.saver = newPersister(f.persist, f)
		go f.saver.run()
	}
	if err := r.reg.Register(f.met); err != nil {
		log.Warningf("metrics: %v", err)
	}
	return nil
}

// stop is called from each server block's OnShutdown. The last one stops the
// server, writes any pending table change and forgets the feed.
func (r *registry) stop(f *feed) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	f.refs--
	if f.refs > 0 {
		return nil
	}
	if f.srv != nil {
		f.srv.stop()
		f.srv = nil
	}
	if f.saver != nil {
		f.saver.stop()
		f.saver = nil
	}
	r.reg.Unregister(f.met)
	if r.feeds[f.addr] == f {
		delete(r.feeds, f.addr)
	}
	return nil
}
