package main

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/gslbdns/gslb/syncer/filesource"
	"github.com/gslbdns/gslb/syncer/kube"
	"github.com/gslbdns/gslb/syncer/source"

	"github.com/prometheus/client_golang/prometheus"
)

// openSource opens the source named by spec, "KIND:ARGUMENT". A new kind of
// source implements source.Source and gets a prefix here. The source's
// metrics, if it has any, go to reg. metricsAddr is where the spec asks
// the metrics to be served (kubernetes: metrics=HOST:PORT), "" if nowhere.
func openSource(spec string, log *slog.Logger, reg prometheus.Registerer) (src source.Source, metricsAddr string, err error) {
	kind, arg, ok := strings.Cut(spec, ":")
	switch {
	case !ok:
		return nil, "", fmt.Errorf("--source %q: want file:PATH or kubernetes:KUBECONFIG[?OPTIONS]", spec)
	case kind == "file":
		path, opts, err := filesource.ParseSpec(arg)
		if err != nil {
			return nil, "", fmt.Errorf("--source %q: %v", spec, err)
		}
		return filesource.New(path, opts), "", nil
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
