package main

import (
	"context"
	"log/slog"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/health"
)

// seedTimeout bounds how long the start-up waits for a plugin's table.
const seedTimeout = 2 * time.Second

// dumper is a plugin whose table can be read: a *push.Pusher.
type dumper interface {
	Target() string
	Dump(ctx context.Context) ([]*gslbv1.Record, error)
}

// servedTable asks every plugin at once for the table it serves and returns
// the first table that is not empty, with the plugin's target, within
// timeout; nil and "" when none comes. (A plugin that restarted without its
// persist file answers an empty table, which tells nothing.)
func servedTable(ctx context.Context, plugins []dumper, timeout time.Duration, log *slog.Logger) ([]*gslbv1.Record, string) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	type answer struct {
		recs   []*gslbv1.Record
		target string
	}
	answers := make(chan answer, len(plugins)) // never blocks: the losers end on their own
	for _, p := range plugins {
		go func() {
			recs, err := p.Dump(ctx)
			if err != nil {
				log.Debug("no table from the plugin", "target", p.Target(), "err", err)
			}
			answers <- answer{recs, p.Target()}
		}()
	}
	for range plugins {
		select {
		case a := <-answers:
			if len(a.recs) > 0 {
				return a.recs, a.target
			}
		case <-ctx.Done():
			return nil, ""
		}
	}
	return nil, ""
}

// readSeed reads the table a plugin serves (see servedTable), logged.
func readSeed(ctx context.Context, plugins []dumper, log *slog.Logger) ([]*gslbv1.Record, string) {
	recs, target := servedTable(ctx, plugins, seedTimeout, log)
	if recs == nil {
		log.Info("no plugin served a table: nothing to keep for the sources not synced, the probed members start unknown")
	} else {
		log.Info("read the table a plugin serves", "target", target, "records", len(recs))
	}
	return recs, target
}

// seedProber gives the prober's targets the health the plugin served
// (see health.Prober.Seed), so that a restart keeps a dead member out.
// Without a table (nil), the targets start unknown.
func seedProber(prober *health.Prober, served []*gslbv1.Record, target string, log *slog.Logger) {
	if served == nil || prober.Stats().Targets == 0 {
		return
	}
	n := prober.Seed(served)
	log.Info("probe state seeded from a plugin's table", "target", target, "records", len(served), "seeded", n, "probed", prober.Stats().Targets)
}
