package main

import (
	"context"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/health"
)

// checkedSource is a Source whose records carry active health checks (the
// file source's healthCheck blocks). Every table goes through the prober,
// which fills in the health of the probed members; the tables of a source
// without checks pass through it unchanged.
type checkedSource interface {
	LoadChecked(ctx context.Context) ([]health.Record, error)
	WatchChecked(ctx context.Context, onChange func([]health.Record), onError func(error)) error
}

// timedSource is a Source that tells when it noticed each change (the file
// source: the file system event; the Kubernetes source: the watch event),
// from which gslb_syncer_event_to_ack_seconds is measured.
type timedSource interface {
	WatchTimed(ctx context.Context, onChange func(records []health.Record, since time.Time), onError func(error)) error
}

// loadChecked is src.Load, with the checks when src has them.
func loadChecked(ctx context.Context, src Source) ([]health.Record, error) {
	if cs, ok := src.(checkedSource); ok {
		return cs.LoadChecked(ctx)
	}
	recs, err := src.Load(ctx)
	if err != nil {
		return nil, err
	}
	return health.Unchecked(recs), nil
}

// watchTimed is src.Watch, with the checks and the times of the changes:
// WatchTimed when src has it, else WatchChecked or Watch, whose changes are
// dated when they are reported (now).
func watchTimed(ctx context.Context, src Source, now func() time.Time, onChange func([]health.Record, time.Time), onError func(error)) error {
	switch s := src.(type) {
	case timedSource:
		return s.WatchTimed(ctx, onChange, onError)
	case checkedSource:
		return s.WatchChecked(ctx, func(recs []health.Record) { onChange(recs, now()) }, onError)
	default:
		return src.Watch(ctx, func(recs []*gslbv1.Record) { onChange(health.Unchecked(recs), now()) }, onError)
	}
}
