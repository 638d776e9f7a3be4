// Command gslb-syncer keeps the tables of gslb CoreDNS plugins equal to a
// source (a YAML members file, or Kubernetes), over the plugins' gRPC API.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/health"
	"github.com/gslbdns/gslb/syncer/push"
	"github.com/gslbdns/gslb/syncer/source"
	"github.com/gslbdns/gslb/syncer/statuspage"

	"github.com/prometheus/client_golang/prometheus"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK     = 0
	exitSource = 1 // the source cannot be loaded, or the metrics served, at start-up
	exitUsage  = 2 // the command line is wrong
)

// run is the whole program; it returns the exit code. It stops when ctx ends.
// The data path: source → prober → pushers → plugins (syncer/README.md,
// Architecture).
func run(ctx context.Context, args []string, stderr io.Writer) int {
	fail := func(code int, err error) int {
		fmt.Fprintf(stderr, "gslb-syncer: %v\n", err)
		return code
	}
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return fail(exitUsage, err)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.logLevel}))
	reg := newRegistry() // one registry for every metric: the source's, the prober's, the latencies', the runtime's
	src, err := openSource(cfg.source, log, reg)
	if err != nil {
		return fail(exitUsage, err)
	}
	pushers, err := newPushers(cfg, log)
	if err != nil {
		return fail(exitUsage, err)
	}

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	dlg, err := newDelegation(cfg.delegation, src.plane, pushers, reg, log)
	if err != nil {
		return fail(exitUsage, err)
	}
	prober := health.New(health.Options{Logger: log, Registerer: reg})
	page, err := newStatusPage(cfg, pushers, prober, dlg, reg, log)
	if err != nil {
		return fail(exitUsage, err)
	}
	// The metrics are served from before the source has its first table: a
	// source that takes its time (Kubernetes) shows why.
	if code, err := serveMetrics(ctx, &wg, cfg, src.metricsAddr, reg, dlg, page, log); err != nil {
		return fail(code, err)
	}
	dlg.start(ctx, &wg, log)
	if err := startHealthShare(ctx, &wg, cfg, src.plane, prober, reg, log); err != nil {
		return fail(exitUsage, err)
	}
	latency := newAckLatency(reg, targetsOf(pushers))
	code := exitOK
	started, err := startSource(ctx, &wg, src, pushers, prober, latency, log, cfg.source, func() { code = exitSource; cancel() })
	if err != nil {
		return fail(exitSource, err)
	}
	log.Info("gslb-syncer started", "source", cfg.source, "records", started, "targets", len(pushers), "resync", cfg.resync,
		"probed", prober.Stats().Targets)

	runPushers(ctx, &wg, pushers, prober, latency, src.plane, log)
	<-ctx.Done()
	wg.Wait()
	log.Info("gslb-syncer stopped")
	return code
}

// runPushers runs the pushers and the prober until ctx ends: each table
// the prober publishes goes to every pusher, then to the control plane's
// status sink (nil: none) with the generation each pusher gave it; each
// acknowledgement to the latency metric and to the status sink, whose
// "Synced" means acked.
func runPushers(ctx context.Context, wg *sync.WaitGroup, pushers []*push.Pusher, prober *health.Prober, latency *ackLatency,
	sink controlPlane, log *slog.Logger) {
	for i, p := range pushers {
		log.Info("pushing", "target", p.Target())
		wg.Go(func() { p.Run(ctx) })
		wg.Go(func() {
			followAcks(ctx, p, func(gen uint64, at time.Time) {
				latency.acked(i, gen, at)
				if sink != nil {
					sink.Acked(p.Target(), gen)
				}
			})
		})
	}
	wg.Go(func() {
		prober.Run(ctx, func(tab health.Table) {
			gens := make([]source.TargetGeneration, len(pushers))
			for i, p := range pushers {
				gens[i] = source.TargetGeneration{Target: p.Target(), Generation: p.Update(tab.Records)}
				latency.published(i, tab, gens[i].Generation)
			}
			if sink != nil {
				sink.Published(tab.Records, gens)
			}
		})
	})
}

// newPushers makes a pusher per --push target.
func newPushers(cfg config, log *slog.Logger) ([]*push.Pusher, error) {
	pushers := make([]*push.Pusher, 0, len(cfg.targets))
	for _, t := range cfg.targets {
		p, err := push.New(t, push.Options{TLS: cfg.tls, Logger: log, Resync: cfg.resync})
		if errors.Is(err, push.ErrTCPNeedsTLS) {
			err = fmt.Errorf("%w: set --tls-cert, --tls-key and --tls-ca", err)
		}
		if err != nil {
			return nil, err
		}
		pushers = append(pushers, p)
	}
	return pushers, nil
}

func targetsOf(pushers []*push.Pusher) []string {
	out := make([]string, len(pushers))
	for i, p := range pushers {
		out[i] = p.Target()
	}
	return out
}

func dumpers(pushers []*push.Pusher) []dumper {
	out := make([]dumper, len(pushers))
	for i, p := range pushers {
		out[i] = p
	}
	return out
}

// serveMetrics serves the metrics on --metrics, or on the source's metrics=
// option, until ctx ends; it returns the exit code of a failure.
func serveMetrics(ctx context.Context, wg *sync.WaitGroup, cfg config, srcAddr string, reg *prometheus.Registry, status http.Handler,
	page *statuspage.Page, log *slog.Logger) (int, error) {
	addr, from := cfg.metrics, "--metrics "
	if addr == "" && srcAddr != "" {
		addr, from = srcAddr, "--source option metrics="
	}
	if cfg.pprof && addr == "" {
		return exitUsage, fmt.Errorf("--pprof serves on the metrics address: set --metrics")
	}
	if page != nil && addr == "" {
		return exitUsage, fmt.Errorf("--status-page serves on the metrics address: set --metrics")
	}
	if addr == "" {
		return exitOK, nil
	}
	m, err := listenMetrics(addr, reg, status, log, cfg.pprof, page)
	if err != nil {
		return exitSource, fmt.Errorf("%s%s: cannot serve the metrics: %v", from, addr, err)
	}
	log.Info("serving metrics", "url", "http://"+m.Addr()+"/metrics")
	wg.Go(func() { m.Serve(ctx) })
	if page != nil {
		log.Info("serving the status page", "url", "http://"+m.Addr()+statuspage.PathPage)
		wg.Go(func() { page.Run(ctx) })
	}
	return exitOK, nil
}

// startSource runs src until ctx ends and returns once its first table is
// in the prober (with the probes seeded from a plugin's table), with the
// number of records; or the error that stopped the start-up. Later tables
// go to the prober, their latency measured from when the source noticed
// them. stop is called when the source fails after the start.
func startSource(ctx context.Context, wg *sync.WaitGroup, src opened, pushers []*push.Pusher, prober *health.Prober,
	latency *ackLatency, log *slog.Logger, name string, stop func()) (int, error) {
	// The table a plugin serves now is the start-up seed: what a source not
	// synced yet keeps, and the probes' first state. A source that is not
	// seeded is started first: the table is read only if it has probed members.
	var served []*gslbv1.Record
	var servedBy string
	seeded := src.seed
	if seeded != nil {
		served, servedBy = readSeed(ctx, dumpers(pushers), log)
		seeded.Seed(served)
	}
	first := make(chan int) // the first table's size, once it is in the prober
	done := make(chan error, 1)
	n := 0
	onChange := func(c source.Change) {
		if n++; n == 1 {
			prober.Update(c.Records)
			first <- len(c.Records)
			return
		}
		log.Info("source changed", "source", name, "records", len(c.Records))
		gen := prober.Update(c.Records)
		latency.sourceChanged(c.Since, gen)
	}
	onError := func(err error) {
		log.Error("source problem; the last good table keeps serving", "source", name, "err", err)
	}
	wg.Go(func() { done <- src.src.Run(ctx, onChange, onError) })
	select {
	case records := <-first:
		if seeded == nil && prober.Stats().Targets > 0 {
			served, servedBy = readSeed(ctx, dumpers(pushers), log)
		}
		seedProber(prober, served, servedBy, log)
		wg.Go(func() {
			if err := <-done; err != nil && ctx.Err() == nil {
				log.Error("cannot watch the source", "source", name, "err", err)
				stop()
			}
		})
		return records, nil
	case err := <-done:
		if err == nil {
			err = ctx.Err()
		}
		return 0, err
	}
}
