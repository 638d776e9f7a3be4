package main

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/gslbdns/gslb/syncer/filesource"
	"github.com/gslbdns/gslb/syncer/kube"

	"github.com/prometheus/client_golang/prometheus"
)

// openSource opens the source named by spec, "KIND:ARGUMENT". A new kind of
// source implements source.Source and gets a prefix here. The source's
// metrics, if it has any, go to reg. The Kubernetes source comes with its
// seed and its config cluster's control plane (metrics=HOST:PORT: where
// its metrics are served).
func openSource(spec string, log *slog.Logger, reg prometheus.Registerer) (opened, error) {
	kind, arg, ok := strings.Cut(spec, ":")
	switch {
	case !ok:
		return opened{}, fmt.Errorf("--source %q: want file:PATH or kubernetes:KUBECONFIG[?OPTIONS]", spec)
	case kind == "file":
		path, opts, err := filesource.ParseSpec(arg)
		if err != nil {
			return opened{}, fmt.Errorf("--source %q: %v", spec, err)
		}
		return opened{src: filesource.New(path, opts)}, nil
	case kind == "kubernetes":
		opts, err := kube.ParseSpec(arg)
		if err != nil {
			return opened{}, fmt.Errorf("--source %q: %v", spec, err)
		}
		if opts.MetricsAddr != "" {
			if err := checkListenAddr(opts.MetricsAddr); err != nil {
				return opened{}, fmt.Errorf("--source %q: option metrics=%q: %v", spec, opts.MetricsAddr, err)
			}
		}
		opts.Logger = log
		opts.Registerer = reg
		plane := kube.NewControlPlane(opts)
		src := kube.New(opts, plane)
		return opened{src: src, seed: src, plane: plane, metricsAddr: opts.MetricsAddr}, nil
	default:
		return opened{}, fmt.Errorf("--source %q: unknown kind %q (supported: file, kubernetes)", spec, kind)
	}
}
