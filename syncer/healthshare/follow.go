package healthshare

import (
	"context"
	"errors"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/health"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

// streamEvent is what a follower's stream tells the runner.
type streamEvent struct {
	gen  uint64 // the follow loop it comes from: events of a replaced one are dropped
	kind eventKind
	ds   []health.Decision
	err  error // lost: why
}

type eventKind int

const (
	eventFull    eventKind = iota // the leader's full state: following from now on
	eventChanges                  // decisions
	eventLost                     // the stream ended after a full state
)

// followLoop watches the leader at addr until ctx ends, connecting again
// (with backoff) whenever the stream fails; it reports to events.
func followLoop(ctx context.Context, gen uint64, addr, identity string, creds credentials.TransportCredentials,
	o Options, events chan<- streamEvent) {
	conn, err := grpc.NewClient("passthrough:///"+addr, grpc.WithTransportCredentials(creds))
	if err != nil { // a malformed address: the leader's identity is not ours to fix
		o.Logger.Error("probe follower: cannot watch the leader", "leader", addr, "err", err)
		return
	}
	defer conn.Close()
	client := gslbv1.NewHealthShareClient(conn)
	backoff := o.BackoffBase
	for ctx.Err() == nil {
		followed, err := watchOnce(ctx, gen, client, identity, o.Heartbeat, events)
		if followed {
			backoff = o.BackoffBase
			select {
			case events <- streamEvent{gen: gen, kind: eventLost, err: err}:
			case <-ctx.Done():
				return
			}
		} else if ctx.Err() == nil {
			o.Logger.Debug("probe follower: the leader's stream failed", "leader", addr, "err", err)
		}
		t := o.Clock.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
		backoff = min(2*backoff, o.BackoffMax)
	}
}

// watchOnce runs one stream; it reports whether the stream gave the full
// state (then its end is a loss for the runner), and why it ended. A
// stream silent for three heartbeats counts as lost.
func watchOnce(ctx context.Context, gen uint64, client gslbv1.HealthShareClient, identity string, heartbeat time.Duration,
	events chan<- streamEvent) (bool, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stream, err := client.Watch(ctx, &gslbv1.WatchHealthRequest{Follower: identity})
	if err != nil {
		return false, err
	}
	alive := make(chan struct{}, 1)
	go watchdog(ctx, 3*heartbeat, alive, cancel)
	followed := false
	for {
		u, err := stream.Recv()
		if err != nil {
			if c := context.Cause(ctx); c != nil && !errors.Is(c, context.Canceled) {
				err = c
			}
			return followed, err
		}
		select {
		case alive <- struct{}{}:
		default:
		}
		kind := eventChanges
		if u.GetFull() {
			kind, followed = eventFull, true
		} else if len(u.GetTargets()) == 0 || !followed {
			continue // a heartbeat
		}
		select {
		case events <- streamEvent{gen: gen, kind: kind, ds: fromProto(u.GetTargets())}:
		case <-ctx.Done():
			return followed, ctx.Err()
		}
	}
}

var errSilent = errors.New("no message from the leader for three heartbeats")

// watchdog cancels the stream when nothing arrives on alive for silence.
func watchdog(ctx context.Context, silence time.Duration, alive <-chan struct{}, cancel context.CancelCauseFunc) {
	t := time.NewTimer(silence)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-alive:
			t.Reset(silence)
		case <-t.C:
			cancel(errSilent)
			return
		}
	}
}
