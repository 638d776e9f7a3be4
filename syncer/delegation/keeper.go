package delegation

import (
	"context"
	"errors"
	"time"
)

// Keeper keeps the delegation in line with the site's readiness: registered
// while the site's DNS is ready, withdrawn once it has not been ready for
// WithdrawAfter, registered again when it is back. Errors are reported and
// retried with backoff; nothing else stops. Only a leader acts: while
// Leading reports false the Keeper follows readiness but leaves the parent
// alone.
type Keeper struct {
	Registrar Parent
	// Ready checks whether the site's DNS serves (it has a table), and
	// by which check; NotReady when not (Readiness.Check).
	Ready         func(context.Context) ReadyBy
	Leading       func() bool   // this process is the site's leader; nil means always
	WithdrawAfter time.Duration // how long not ready before the NS is withdrawn
	Interval      time.Duration // between checks; 0 means 10 s
	MaxBackoff    time.Duration // longest wait after errors; 0 means 5 min
	Now           func() time.Time
	// Report gets each check: every register and withdraw step, done or
	// not, and each Hold, for the log, status and metrics.
	Report func(Event)
}

// Event is one thing the Keeper did or failed to do.
type Event struct {
	Action  Action
	Changed bool  // the parent was updated (false: it already agreed)
	Err     error // nil on success; ErrLastNS when a withdrawal was held back
	// Leading is false when this process is not the site's leader: the
	// parent was left alone (Action is Hold).
	Leading       bool
	NotReadySince time.Time     // when the site's DNS stopped being ready; zero while it is
	ReadyBy       ReadyBy       // the check that found it ready; NotReady when not
	At            time.Time     // when the check started
	Next          time.Duration // the wait before the next check (longer after errors)
}

// Action is what the Keeper decided.
type Action int

const (
	Hold     Action = iota // not ready, not for long enough yet: leave the parent as it is
	Register               // ready: the NS and glue must be in the parent
	Withdraw               // not ready for WithdrawAfter: the NS must leave the parent
)

func (a Action) String() string {
	return [...]string{"hold", "register", "withdraw"}[a]
}

// decide is the Keeper's rule: notReadySince is when the site stopped being
// ready (zero while it is ready).
func decide(notReadySince, now time.Time, withdrawAfter time.Duration) Action {
	switch {
	case notReadySince.IsZero():
		return Register
	case now.Sub(notReadySince) >= withdrawAfter:
		return Withdraw
	}
	return Hold
}

// Run checks every Interval until ctx ends.
func (k *Keeper) Run(ctx context.Context) {
	interval, maxBackoff := k.Interval, k.MaxBackoff
	if interval == 0 {
		interval = 10 * time.Second
	}
	if maxBackoff == 0 {
		maxBackoff = 5 * time.Minute
	}
	now := k.Now
	if now == nil {
		now = time.Now
	}
	var notReadySince time.Time
	wait := time.Duration(0)
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		e := Event{At: now(), Leading: k.Leading == nil || k.Leading()}
		e.ReadyBy = k.Ready(ctx)
		notReadySince = track(notReadySince, e.ReadyBy != NotReady, e.At)
		e.NotReadySince = notReadySince
		if e.Leading {
			e.Action = decide(notReadySince, e.At, k.WithdrawAfter)
		}
		k.step(ctx, &e)
		if e.Err != nil && !errors.Is(e.Err, ErrLastNS) {
			wait = min(max(2*wait, interval), maxBackoff)
		} else {
			wait = interval
		}
		if e.Next = wait; k.Report != nil {
			k.Report(e)
		}
	}
}

// track updates when the site stopped being ready.
func track(notReadySince time.Time, ready bool, now time.Time) time.Time {
	switch {
	case ready:
		return time.Time{}
	case notReadySince.IsZero():
		return now
	}
	return notReadySince
}

// step carries out e's decision and records in e what came of it. A
// withdrawal held back because ours is the last NS is ErrLastNS, which
// Run does not back off for.
func (k *Keeper) step(ctx context.Context, e *Event) {
	switch e.Action {
	case Register:
		e.Changed, e.Err = k.Registrar.Register(ctx)
	case Withdraw:
		e.Changed, e.Err = k.Registrar.Withdraw(ctx)
	}
}
