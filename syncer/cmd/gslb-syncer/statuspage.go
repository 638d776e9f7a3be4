package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"

	"github.com/gslbdns/gslb/syncer/delegation"
	"github.com/gslbdns/gslb/syncer/health"
	"github.com/gslbdns/gslb/syncer/push"
	"github.com/gslbdns/gslb/syncer/statuspage"

	"github.com/prometheus/client_golang/prometheus"
)

// newStatusPage makes the status page of --status-page (nil without it),
// served on the metrics listener: the table of the first pusher (every
// pusher gets the same), the plugins' sync state, the probes' decisions,
// the delegation, and the answers scraped from --status-answers.
func newStatusPage(cfg config, pushers []*push.Pusher, prober *health.Prober, dlg *delegationKeeper,
	reg *prometheus.Registry, log *slog.Logger) (*statuspage.Page, error) {
	if !cfg.statusPage {
		if cfg.statusAnswers != "" {
			return nil, errors.New("--status-answers needs --status-page")
		}
		return nil, nil
	}
	if u, err := url.Parse(cfg.statusAnswers); cfg.statusAnswers != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
		return nil, fmt.Errorf("--status-answers %q: want the plugin's metrics URL, http://HOST:PORT/metrics", cfg.statusAnswers)
	}
	targets := make([]statuspage.Target, len(pushers))
	for i, p := range pushers {
		targets[i] = p
	}
	var dlgStatus statuspage.Delegation
	if dlg.r != nil {
		dlgStatus = func() *delegation.Status { return dlg.r.Status() }
	}
	return statuspage.New(statuspage.Options{
		Table: pushers[0], Targets: targets, Decisions: prober, Delegation: dlgStatus,
		Metrics: reg, AnswersURL: cfg.statusAnswers, Logger: log,
	}), nil
}
