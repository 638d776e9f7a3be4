package gslbmetrics

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// listeners holds the /metrics HTTP servers of the process by address.
//
// Like gslb's feed registry, it is process-wide state on purpose: a CoreDNS
// reload starts the new server blocks before it shuts the old ones down, so
// a listener reference counted across instances stays open through a reload
// (no failed scrape, no port taken twice).
type listeners struct {
	mu     sync.Mutex
	byAddr map[string]*listener
	gather prometheus.Gatherer
}

type listener struct {
	refs int
	srv  *http.Server
	ln   net.Listener
}

var httpListeners = &listeners{byAddr: map[string]*listener{}, gather: prometheus.DefaultGatherer}

// start opens the listener of addr, or takes one more reference to it.
func (l *listeners) start(addr string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if h := l.byAddr[addr]; h != nil {
		h.refs++
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(l.gather, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 30 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Errorf("metrics listener %s: %v", addr, err)
		}
	}()
	l.byAddr[addr] = &listener{refs: 1, srv: srv, ln: ln}
	return nil
}

// stop drops a reference; the last one closes the listener.
func (l *listeners) stop(addr string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := l.byAddr[addr]
	if h == nil {
		return nil
	}
	if h.refs--; h.refs > 0 {
		return nil
	}
	delete(l.byAddr, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return h.srv.Shutdown(ctx)
}

// boundAddr returns the address addr's listener is bound to (for tests
// listening on port 0).
func (l *listeners) boundAddr(addr string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if h := l.byAddr[addr]; h != nil {
		return h.ln.Addr().String()
	}
	return ""
}
