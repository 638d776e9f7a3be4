package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/gslbdns/gslb/syncer/push"
)

// config is what the command line asks for.
type config struct {
	source   string
	targets  []string
	tls      push.TLSFiles
	resync   time.Duration
	logLevel slog.Level
	metrics  string // HOST:PORT of /metrics; "" for none (or the source's metrics= option)
	pprof    bool   // /debug/pprof on the metrics address
	// delegation is the delegation file (syncer/README.md, Delegation); "" for none.
	delegation string

	healthListen, healthAdvertise string // shared probes (healthshare.go); "" for none

	statusPage    bool   // the status page on the metrics address (statuspage.go)
	statusAnswers string // the plugin's /metrics URL for the page's chart; "" for none
}

// targetList is a repeatable flag.
type targetList []string

func (l *targetList) String() string { return strings.Join(*l, ",") }

func (l *targetList) Set(s string) error {
	*l = append(*l, s)
	return nil
}

const usage = `Usage: gslb-syncer --source file:PATH --push ADDR [--push ADDR]... [flags]

gslb-syncer keeps the table of gslb CoreDNS plugins equal to a source: it
pushes the whole table at first, then only what changes. With --metrics it
serves Prometheus metrics on http://HOST:PORT/metrics.

Sources:
  file:PATH[?delete-share=0.5&delete-hold=2s]
                         a YAML members file, followed as it changes; a change
                         written in place that removes more than delete-share of
                         the records is held until the file is unchanged for
                         delete-hold (write the file atomically: never held)
  kubernetes:KUBECONFIG[?members=a,b&config=CTX&grace=60s&zones=z&metrics=HOST:PORT]
                         Services and Ingresses of member clusters (one kubeconfig
                         context each) selected by GlobalDeploymentPolicy objects;
                         members-file=PATH instead of members= names them in a file.
                         Both files are re-read when they change: no restart.
                         metrics=HOST:PORT serves the metrics there (as --metrics,
                         which wins when both are given)

Targets (--push):
  unix:///path/to.sock   the plugin's unix socket
  tcp://HOST:PORT        the plugin over TCP, with mutual TLS (--tls-*)

Flags:
`

// parseFlags parses the command line. Errors (and --help) are for the caller
// to report; flag's own messages go to out.
func parseFlags(args []string, out io.Writer) (config, error) {
	var (
		cfg      config
		targets  targetList
		logLevel string
	)
	fs := flag.NewFlagSet("gslb-syncer", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprint(out, usage)
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.source, "source", "", "where the table comes from: `file:PATH` or kubernetes:KUBECONFIG[?OPTIONS] (required)")
	fs.Var(&targets, "push", "`ADDR` of a plugin to push to: unix:///path or tcp://HOST:PORT (repeatable; at least one)")
	fs.StringVar(&cfg.tls.Cert, "tls-cert", "", "client certificate `file` (PEM), for tcp targets")
	fs.StringVar(&cfg.tls.Key, "tls-key", "", "client private key `file` (PEM), for tcp targets")
	fs.StringVar(&cfg.tls.CA, "tls-ca", "", "CA bundle `file` (PEM) that the plugins' certificates must chain to, for tcp targets")
	fs.DurationVar(&cfg.resync, "resync", push.DefaultResync, "how often to check that each plugin still holds the table")
	fs.StringVar(&logLevel, "log-level", "info", "`level` of the logs: debug, info, warn or error")
	fs.BoolVar(&cfg.pprof, "pprof", false, "also serve Go's /debug/pprof profiles on the metrics address (keep it private)")
	fs.StringVar(&cfg.metrics, "metrics", "", "serve Prometheus metrics on http://`HOST:PORT`/metrics (port 0: any free port, logged)")
	fs.StringVar(&cfg.delegation, "delegation", "", "keep this site's NS and glue in the parent zone as the delegation `file` (YAML) says")
	fs.StringVar(&cfg.healthListen, "health-listen", "", "serve this syncer's health decisions to its site's other syncers on `HOST:PORT` when it leads the probes (needs the source option probe-lease; mutual TLS with the --tls-* files, else loopback only)")
	fs.StringVar(&cfg.healthAdvertise, "health-advertise", "", "`HOST:PORT` where the site's other syncers reach --health-listen (default: its address, $POD_IP when it listens on every address)")
	fs.BoolVar(&cfg.statusPage, "status-page", false, "serve the read-only status page on the metrics address, at /status/ (and its JSON at /status/api/v1/summary)")
	fs.StringVar(&cfg.statusAnswers, "status-answers", "", "the plugin's metrics `URL` (e.g. http://127.0.0.1:9153/metrics), scraped every 5s for the status page's chart of answers")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	cfg.targets = targets
	switch {
	case fs.NArg() > 0:
		return cfg, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case cfg.source == "":
		return cfg, errors.New("--source is required")
	case len(cfg.targets) == 0:
		return cfg, errors.New("--push is required (at least one)")
	case cfg.resync <= 0:
		return cfg, fmt.Errorf("--resync %v must be positive", cfg.resync)
	}
	if err := cfg.logLevel.UnmarshalText([]byte(logLevel)); err != nil {
		return cfg, fmt.Errorf("--log-level %q: want debug, info, warn or error", logLevel)
	}
	if cfg.metrics != "" {
		if err := checkListenAddr(cfg.metrics); err != nil {
			return cfg, fmt.Errorf("--metrics %q: %v", cfg.metrics, err)
		}
	}
	return cfg, nil
}

// checkListenAddr checks that addr is HOST:PORT with a numeric port (the
// host may be empty: every address).
func checkListenAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("want HOST:PORT")
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("port %q: want a number from 0 to 65535", port)
	}
	return nil
}
