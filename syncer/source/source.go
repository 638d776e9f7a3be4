// Package source is the interface between gslb-syncer and where its table
// comes from: a YAML members file (filesource) or Kubernetes (kube).
package source

import (
	"context"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
)

// Change is a new table of the source.
type Change struct {
	// Records are the whole table, sorted by FQDN; each probed member
	// carries its health check (Member.check), which the prober runs.
	// They must not be modified afterwards.
	Records []*gslbv1.Record
	// Since is when the source noticed the oldest change the table
	// reflects (a file system event, a watch event): the start of
	// gslb_syncer_event_to_ack_seconds.
	Since time.Time
}

// Source is where the desired table comes from.
type Source interface {
	// Run calls onChange with the first table, then with each new one,
	// until ctx ends; then it returns nil. An error before the first table
	// stops the start-up (a file that cannot be read, a kubeconfig that
	// cannot be parsed); problems after it (a table that is not valid, a
	// status that cannot be written) go to onError, and the last good
	// table keeps serving. onChange and onError are called on the
	// source's goroutines, one change at a time.
	Run(ctx context.Context, onChange func(Change), onError func(error)) error
}

// Seeded is a Source that keeps, for what it has not synced yet, what the
// plugins served at start-up (the Kubernetes source). Seed is called once,
// before Run, with nil when no plugin served a table.
type Seeded interface {
	Seed(served []*gslbv1.Record)
}

// StatusSink is a Source that reports what the name servers hold (the
// Kubernetes source writes it into its resources' status, so that "Synced"
// means acknowledged). Published is called with each table the prober
// publishes, with the members' health filled in, and the generation each
// name server's pusher gave it; Acked with each generation a name server
// acknowledges (it covers every earlier one). Both return at once; the
// records must not be modified.
type StatusSink interface {
	Published(records []*gslbv1.Record, gens []TargetGeneration)
	Acked(target string, gen uint64)
}

// TargetGeneration is the generation a name server's pusher (target, as
// given to --push) gave a table.
type TargetGeneration struct {
	Target     string
	Generation uint64
}

// Leadership is what a site's election of its probe leader says.
type Leadership struct {
	// Leading: this syncer is its site's probe leader.
	Leading bool
	// Leader is where the leader serves its health (HOST:PORT, from its
	// Lease identity); "" when no leader is known.
	Leader string
}

// ProbeElected is a Source that elects its site's probe leader (the
// Kubernetes source's probe-lease option), see syncer/healthshare.
type ProbeElected interface {
	// ElectProbeLeader makes the source campaign, from Run on, with addr
	// (where this syncer serves its health) in its identity, and returns
	// the Lease's duration. It reports false when no probe Lease is
	// configured. Call it before Run.
	ElectProbeLeader(addr string) (leaseDuration time.Duration, ok bool)
	// ProbeLeadership blocks until the leadership differs from seen, or
	// ctx ends.
	ProbeLeadership(ctx context.Context, seen Leadership) (Leadership, error)
}
