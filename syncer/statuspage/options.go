// Package statuspage is gslb-syncer's read-only status page and its JSON
// summary endpoint, served on the metrics listener (--status-page): every
// record with its members, their health with reason and since-when, the
// answers each member got over the last minutes (scraped from the plugin's
// coredns_gslb_answers_total), the recent health transitions, this site's
// probe role, the delegation and the sync state of each plugin and member
// cluster. See README.md.
//
// The page reads what it shows through the small interfaces below, given
// explicitly by the command's wiring; it never writes anything: every
// handler is a GET.
package statuspage

import (
	"log/slog"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/delegation"
	"github.com/gslbdns/gslb/syncer/health"
	"github.com/gslbdns/gslb/syncer/push"

	"github.com/prometheus/client_golang/prometheus"
)

// Table is the table last pushed: a push.Pusher.
type Table interface {
	Desired() (records []*gslbv1.Record, generation uint64, ok bool)
}

// Target is one plugin pushed to: a push.Pusher.
type Target interface {
	Stats() push.Stats
}

// Decisions gives the probes' health decisions as they are made: a
// health.Prober. f must return at once.
type Decisions interface {
	WatchDecisions(f func([]health.Decision)) (stop func())
}

// Delegation reads the delegation's status; nil when none is kept.
type Delegation func() *delegation.Status

// Options are the page's inputs. Table is required; a nil input is shown
// as "not available".
type Options struct {
	Table      Table
	Targets    []Target
	Decisions  Decisions
	Delegation Delegation
	// Metrics is the syncer's own registry: the probe role and leader
	// (gslb_syncer_probe_*) and the member clusters' state
	// (gslb_syncer_kube_cluster_up) are read from it.
	Metrics prometheus.Gatherer
	// AnswersURL is the plugin's /metrics URL, scraped every AnswersEvery
	// (default 5s) for coredns_gslb_answers_total; "" for no chart.
	AnswersURL   string
	AnswersEvery time.Duration
	// AnswersKeep is how many scrapes the chart keeps (default 60: five
	// minutes at 5s).
	AnswersKeep int
	// AnswersMaxSeries caps the members charted (default 100000: about
	// 40 MB at the default AnswersKeep); the others show no share.
	AnswersMaxSeries int
	// Poll is how often the page's script asks for changes (default 2s).
	Poll   time.Duration
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.AnswersEvery <= 0 {
		o.AnswersEvery = 5 * time.Second
	}
	if o.AnswersKeep <= 0 {
		o.AnswersKeep = 60
	}
	if o.AnswersMaxSeries <= 0 {
		o.AnswersMaxSeries = 100_000
	}
	if o.Poll <= 0 {
		o.Poll = 2 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}
