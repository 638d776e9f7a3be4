package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/gslbdns/gslb/syncer/statuspage"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// newRegistry returns the registry of every metric of the syncer, with the
// Go runtime's and the process's.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}

// metricsServer serves reg on /metrics.
type metricsServer struct {
	ln  net.Listener
	srv *http.Server
	log *slog.Logger
}

// listenMetrics listens on addr (HOST:PORT) for the metrics of reg, and
// the delegation's status (status) on /status/delegation, and the status
// page when not nil. A
// failure is for the caller to report: it stops the start-up.
// With profiling, Go's /debug/pprof is served there too: it exposes the
// process's memory, so only on a private address.
func listenMetrics(addr string, reg *prometheus.Registry, status http.Handler, log *slog.Logger, profiling bool, page *statuspage.Page) (*metricsServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		// A collector that fails spoils its own series, not the others'.
		ErrorHandling: promhttp.ContinueOnError,
		ErrorLog:      slog.NewLogLogger(log.Handler(), slog.LevelError),
	}))
	mux.Handle("GET /status/delegation", status)
	if page != nil { // --status-page
		page.Register(mux)
	}
	if profiling {
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
	return &metricsServer{
		ln:  ln,
		srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: time.Minute},
		log: log,
	}, nil
}

// Addr is the address listened on (with the port chosen, for port 0).
func (m *metricsServer) Addr() string { return m.ln.Addr().String() }

// Close closes the listener of a server that never served.
func (m *metricsServer) Close() { m.ln.Close() }

// Serve serves until ctx ends, then lets the scrapes in progress end (for
// a second at most) and returns.
func (m *metricsServer) Serve(ctx context.Context) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := m.srv.Serve(m.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.log.Error("metrics server failed", "addr", m.Addr(), "err", err)
		}
	}()
	select {
	case <-ctx.Done():
	case <-done:
		return
	}
	sctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := m.srv.Shutdown(sctx); err != nil {
		m.srv.Close()
	}
	<-done
}
