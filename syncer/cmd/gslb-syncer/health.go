package main

import (
	"context"

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

// watchChecked is src.Watch, with the checks when src has them.
func watchChecked(ctx context.Context, src Source, onChange func([]health.Record), onError func(error)) error {
	if cs, ok := src.(checkedSource); ok {
		return cs.WatchChecked(ctx, onChange, onError)
	}
	return src.Watch(ctx, func(recs []*gslbv1.Record) { onChange(health.Unchecked(recs)) }, onError)
}
