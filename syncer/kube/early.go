package kube

import (
	"context"
	"time"

	"github.com/gslbdns/gslb/syncer/source"

	"k8s.io/client-go/tools/cache"
)

// earlyWait is how long a seeded start-up waits for every cluster before it
// hands the kept table to the probes (reportEarly).
const earlyWait = 2 * time.Second

// reportEarly hands the runner, when clusters have not synced within
// earlyWait of the start and a plugin's table seeds the syncer, the table
// it would report at the end of the start-up wait: the seed kept where
// nothing is synced. The runner probes the kept members at once and pushes
// their health as soon as the probes decide (interval × fall), instead of
// after StartWait, so a member that died while this syncer was down (during
// a config cluster outage, say) leaves the answers in seconds, not 30 s.
// The start-up wait then goes on as before; its table follows.
func (s *Source) reportEarly(ctx context.Context, onChange func(source.Change)) {
	if s.seed == nil {
		return
	}
	wait, cancel := context.WithTimeout(ctx, earlyWait)
	defer cancel()
	if cache.WaitForCacheSync(wait.Done(), s.allSynced) || ctx.Err() != nil {
		return // the start-up's own table follows at once
	}
	records, _ := s.build()
	if len(records) == 0 {
		return
	}
	s.log.Info("clusters not synced yet: the kept table goes to the probes now, before the start-up wait ends", "records", len(records), "startwait", s.opts.StartWait)
	onChange(source.Change{Records: records, Since: time.Now()})
}
