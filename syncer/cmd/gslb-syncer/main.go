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
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/health"
	"github.com/gslbdns/gslb/syncer/push"
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

	// One registry for every metric: the source's, the prober's, the
	// latencies', the runtime's.
	reg := newRegistry()
	src, srcMetricsAddr, err := openSource(cfg.source, log, reg)
	if err != nil {
		return fail(exitUsage, err)
	}
	pushers := make([]*push.Pusher, 0, len(cfg.targets))
	plugins := make([]dumper, 0, len(cfg.targets))
	targets := make([]string, 0, len(cfg.targets))
	for _, t := range cfg.targets {
		p, err := push.New(t, push.Options{TLS: cfg.tls, Logger: log, Resync: cfg.resync})
		if errors.Is(err, push.ErrTCPNeedsTLS) {
			err = fmt.Errorf("%w: set --tls-cert, --tls-key and --tls-ca", err)
		}
		if err != nil {
			return fail(exitUsage, err)
		}
		pushers, plugins, targets = append(pushers, p), append(plugins, p), append(targets, p.Target())
	}

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()

	// The metrics are served from before the source is loaded: a source
	// that takes its time to load (Kubernetes) shows why.
	metricsAddr, metricsFrom := cfg.metrics, "--metrics "
	if metricsAddr == "" && srcMetricsAddr != "" {
		metricsAddr, metricsFrom = srcMetricsAddr, "--source option metrics="
	}
	if cfg.pprof && metricsAddr == "" {
		return fail(exitUsage, fmt.Errorf("--pprof serves on the metrics address: set --metrics"))
	}
	if metricsAddr != "" {
		m, err := listenMetrics(metricsAddr, reg, log, cfg.pprof)
		if err != nil {
			return fail(exitSource, fmt.Errorf("%s%s: cannot serve the metrics: %v", metricsFrom, metricsAddr, err))
		}
		log.Info("serving metrics", "url", "http://"+m.Addr()+"/metrics")
		wg.Go(func() { m.Serve(ctx) })
	}

	// The table a plugin serves now is the start-up seed: what a source
	// not synced yet keeps, and the probes' first state.
	// (A source that is not seeded is loaded first: the table is read only
	// when it has probed members.)
	var served []*gslbv1.Record
	var servedBy string
	seeded, _ := src.(seededSource)
	if seeded != nil {
		served, servedBy = readSeed(ctx, plugins, log)
		seeded.Seed(served)
	}
	records, err := loadChecked(ctx, src)
	if err != nil {
		return fail(exitSource, err)
	}
	// The prober fills in the health of the probed members and publishes
	// the table at once on a change of the source, and at every change of
	// a member's health. Its targets start at the health a plugin serves
	// (a restart keeps a dead member out), else unknown.
	prober := health.New(health.Options{Logger: log, Registerer: reg})
	prober.Update(records)
	if seeded == nil && prober.Stats().Targets > 0 {
		served, servedBy = readSeed(ctx, plugins, log)
	}
	seedProber(prober, served, servedBy, log)
	log.Info("gslb-syncer started", "source", cfg.source, "records", len(records), "targets", len(pushers), "resync", cfg.resync,
		"probed", prober.Stats().Targets)

	latency := newAckLatency(reg, targets)
	sink, _ := src.(servedSink)
	publish := func(tab health.Table) {
		for i, p := range pushers {
			latency.published(i, tab, func() uint64 { return p.Update(tab.Records) })
		}
		if sink != nil {
			sink.Served(tab.Records)
		}
	}

	for i, p := range pushers {
		log.Info("pushing", "target", p.Target())
		wg.Go(func() { p.Run(ctx) })
		wg.Go(func() { followAcks(ctx, p, func(gen uint64, at time.Time) { latency.acked(i, gen, at) }) })
	}
	wg.Go(func() { prober.Run(ctx, publish) })
	code := exitOK
	wg.Go(func() {
		err := watchTimed(ctx, src, time.Now,
			func(records []health.Record, since time.Time) {
				log.Info("source changed", "source", cfg.source, "records", len(records))
				latency.sourceChanged(since, func() uint64 { return prober.Update(records) })
			},
			func(err error) {
				log.Error("source problem; the last good table keeps serving", "source", cfg.source, "err", err)
			})
		if err != nil && ctx.Err() == nil {
			log.Error("cannot watch the source", "source", cfg.source, "err", err)
			code = exitSource
			cancel()
		}
	})
	<-ctx.Done()
	wg.Wait()
	log.Info("gslb-syncer stopped")
	return code
}
