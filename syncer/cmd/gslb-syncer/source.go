package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/filesource"
	"github.com/gslbdns/gslb/syncer/kube"
	"github.com/prometheus/client_golang/prometheus"
)

// Source is where the desired table comes from. A new kind of source (say,
// "kubernetes:" for a CRD) implements it and gets a prefix in openSource.
//
// A source may implement more (see health.go and served.go): checkedSource
// for records with health checks, timedSource to tell when each change was
// noticed, servedSink to learn the health the prober found.
type Source interface {
	// Load returns the table as it is now; an error stops the start-up.
	Load(ctx context.Context) ([]*gslbv1.Record, error)
	// Watch reports each new valid table to onChange, and problems
	// (including tables that are not valid) to onError, until ctx ends.
	Watch(ctx context.Context, onChange func([]*gslbv1.Record), onError func(error)) error
}

// openSource opens the source named by spec, "KIND:ARGUMENT". The source's
// metrics, if it has any, go to reg. metricsAddr is where the spec asks
// the metrics to be served (kubernetes: metrics=HOST:PORT), "" if nowhere.
func openSource(spec string, log *slog.Logger, reg prometheus.Registerer) (src Source, metricsAddr string, err error) {
	kind, arg, ok := strings.Cut(spec, ":")
	switch {
	case !ok:
		return nil, "", fmt.Errorf("--source %q: want file:PATH or kubernetes:KUBECONFIG[?OPTIONS]", spec)
	case kind == "file":
		if arg == "" {
			return nil, "", fmt.Errorf("--source %q: missing path", spec)
		}
		return filesource.New(arg, filesource.Options{}), "", nil
	case kind == "kubernetes":
		opts, err := kube.ParseSpec(arg)
		if err != nil {
			return nil, "", fmt.Errorf("--source %q: %v", spec, err)
		}
		if opts.MetricsAddr != "" {
			if err := checkListenAddr(opts.MetricsAddr); err != nil {
				return nil, "", fmt.Errorf("--source %q: option metrics=%q: %v", spec, opts.MetricsAddr, err)
			}
		}
		opts.Logger = log
		opts.Registerer = reg
		return kube.New(opts), opts.MetricsAddr, nil
	default:
		return nil, "", fmt.Errorf("--source %q: unknown kind %q (supported: file, kubernetes)", spec, kind)
	}
}

// servedSink is a Source that wants each table published, with the health
// the prober filled in (the Kubernetes source writes it into its custom
// resources' status). Served is called on the prober's goroutine: it must
// return at once and not modify the records.
type servedSink interface {
	Served(records []*gslbv1.Record)
}

// seededSource is a Source that keeps, for what it has not synced yet, the
// table a plugin serves at start-up (the Kubernetes source). Seed is called
// once, before Load, with nil when no plugin served a table.
type seededSource interface {
	Seed(records []*gslbv1.Record)
}
