package push

import (
	"context"
	"time"
)

// Stats describe a Pusher's progress.
type Stats struct {
	Target string
	// AckedVersion is the plugin's version after the last apply it
	// acknowledged, 0 before the first and after the plugin was found at
	// another version (restarted, or pushed to by someone else).
	AckedVersion uint32
	// AckedGeneration is the generation (the number Update returned) of the
	// table the plugin holds at AckedVersion; 0 when AckedVersion is 0.
	AckedGeneration uint64
	// AckedAt is when AckedGeneration was acknowledged (Options.Clock's
	// time), or found already held; zero when AckedGeneration is 0.
	AckedAt time.Time
	// DesiredGeneration is the generation of the latest Update.
	DesiredGeneration uint64
	// AckedRecords is how many records the plugin said it holds.
	AckedRecords uint32
	// FullPushes and DeltaPushes count the applies the plugin acknowledged.
	FullPushes, DeltaPushes uint64
	// LastError is the last failure; it is cleared by the next successful
	// sync, except a refusal (InvalidArgument) of the desired table, which
	// stays until the next Update. While the desired table is a refused
	// one, the plugin is still checked every Resync: a failed check is the
	// LastError until the next check that works, and a plugin found at
	// another version is forgotten (AckedVersion 0).
	LastError error
}

// Stats returns a snapshot of the Pusher's progress.
func (p *Pusher) Stats() Stats { return p.stats.Get() }

// WaitFor blocks until cond holds for the Pusher's stats, or ctx ends, and
// returns the stats that satisfied it (or the last ones seen, with ctx's error).
func (p *Pusher) WaitFor(ctx context.Context, cond func(Stats) bool) (Stats, error) {
	return p.stats.WaitFor(ctx, cond)
}

// WaitAcked blocks until the plugin holds the table of the given generation
// (or a later one), or ctx ends.
func (p *Pusher) WaitAcked(ctx context.Context, generation uint64) error {
	_, err := p.WaitFor(ctx, func(s Stats) bool { return s.AckedGeneration >= generation })
	return err
}

// update changes the stats and wakes the waiters.
func (p *Pusher) update(f func(*Stats)) { p.stats.Update(f) }
