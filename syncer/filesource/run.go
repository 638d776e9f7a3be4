package filesource

import (
	"context"
	"time"

	"github.com/gslbdns/gslb/syncer/health"
	"github.com/gslbdns/gslb/syncer/source"
)

// Run implements source.Source: the file as it is now (an error, naming
// the file and line, when it cannot be read or is not valid), then
// WatchTimed's changes.
func (s *Source) Run(ctx context.Context, onChange func(source.Change), onError func(error)) error {
	recs, err := s.LoadChecked(ctx)
	if err != nil {
		return err
	}
	onChange(source.Change{Records: recs, Since: time.Now()})
	return s.WatchTimed(ctx, func(recs []health.Record, since time.Time) {
		onChange(source.Change{Records: recs, Since: since})
	}, onError)
}
