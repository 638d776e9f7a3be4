// Command gslb-syncer keeps the tables of gslb CoreDNS plugins equal to a
// source (a YAML members file), over the plugins' gRPC API.
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
	exitSource = 1 // the source cannot be loaded at start-up
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

	src, err := openSource(cfg.source, log)
	if err != nil {
		return fail(exitUsage, err)
	}
	pushers := make([]*push.Pusher, 0, len(cfg.targets))
	for _, t := range cfg.targets {
		p, err := push.New(t, push.Options{TLS: cfg.tls, Logger: log, Resync: cfg.resync})
		if errors.Is(err, push.ErrTCPNeedsTLS) {
			err = fmt.Errorf("%w: set --tls-cert, --tls-key and --tls-ca", err)
		}
		if err != nil {
			return fail(exitUsage, err)
		}
		pushers = append(pushers, p)
	}

	records, err := loadChecked(ctx, src)
	if err != nil {
		return fail(exitSource, err)
	}
	// The prober fills in the health of the probed members and publishes
	// the table at once on a change of the source, and at every change of
	// a member's health.
	prober := health.New(health.Options{Logger: log})
	prober.Update(records)
	log.Info("gslb-syncer started", "source", cfg.source, "records", len(records), "targets", len(pushers), "resync", cfg.resync,
		"probed", prober.Stats().Targets)
	update := func(records []*gslbv1.Record) {
		for _, p := range pushers {
			p.Update(records)
		}
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for _, p := range pushers {
		log.Info("pushing", "target", p.Target())
		wg.Go(func() { p.Run(ctx) })
	}
	wg.Go(func() { prober.Run(ctx, update) })
	code := exitOK
	wg.Go(func() {
		err := watchChecked(ctx, src,
			func(records []health.Record) {
				log.Info("source changed", "source", cfg.source, "records", len(records))
				prober.Update(records)
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
