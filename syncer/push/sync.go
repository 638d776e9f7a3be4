package push

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// sync makes one round: it checks the plugin's version and pushes what the
// plugin lacks of the desired table. An error means the round failed and
// should be retried on a new connection.
func (p *Pusher) sync(ctx context.Context) error {
	desired, gen, ok := p.desiredTable()
	switch {
	case !ok:
		return nil // nothing to push yet
	case gen == p.rejectedGen:
		return p.checkRefused(ctx)
	}
	st, err := p.status(ctx)
	if err != nil {
		return err
	}
	stats := p.Stats()
	if stats.AckedVersion != 0 && st.GetVersion() != stats.AckedVersion {
		p.opts.Logger.Info("plugin is at another version than acknowledged, sending the whole table",
			"target", p.Target(), "plugin_version", st.GetVersion(), "acked_version", stats.AckedVersion)
		p.forget()
	} else if stats.AckedVersion != 0 && stats.AckedGeneration == gen {
		p.opts.Logger.Debug("plugin in sync", "target", p.Target(), "version", st.GetVersion())
		p.update(func(s *Stats) { s.LastError = nil })
		return nil
	}

	// At most two applies: a DELTA refused because the plugin moved on
	// (FailedPrecondition) is followed at once by a FULL.
	for {
		full := p.Stats().AckedVersion == 0
		err := p.push(ctx, desired, gen, full)
		switch code := status.Code(err); {
		case err == nil:
			return nil
		case code == codes.FailedPrecondition && !full:
			p.opts.Logger.Info("plugin refused the delta, sending the whole table", "target", p.Target(), "err", err)
			p.forget()
		case code == codes.InvalidArgument || errors.Is(err, errTooLarge):
			p.rejectedGen, p.rejectedErr = gen, err
			p.update(func(s *Stats) { s.LastError = err })
			p.opts.Logger.Error("plugin refused the table; not retrying until it changes",
				"target", p.Target(), "generation", gen, "err", err)
			return nil
		default:
			return err
		}
	}
}

// status asks the plugin for its version.
func (p *Pusher) status(ctx context.Context) (*gslbv1.StatusResponse, error) {
	if err := p.connect(); err != nil {
		return nil, err
	}
	sctx, cancel := context.WithTimeout(ctx, p.opts.StatusTimeout)
	defer cancel()
	st, err := p.client.Status(sctx, &gslbv1.StatusRequest{})
	if err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	return st, nil
}

// checkRefused is a round while the desired table is one the plugin
// refused: nothing is pushed, but the plugin is still checked, so the stats
// tell whether it still holds the table acknowledged before (the refusal
// stays the LastError), restarted without it (forgotten), or is gone (the
// Status error).
func (p *Pusher) checkRefused(ctx context.Context) error {
	if p.Stats().AckedVersion == 0 {
		return nil // it holds nothing of ours to check
	}
	st, err := p.status(ctx)
	if err != nil {
		return err
	}
	if st.GetVersion() != p.Stats().AckedVersion {
		p.opts.Logger.Info("plugin is at another version than acknowledged; the desired table was refused, so nothing is sent",
			"target", p.Target(), "plugin_version", st.GetVersion(), "acked_version", p.Stats().AckedVersion)
		p.forget()
	}
	p.update(func(s *Stats) { s.LastError = p.rejectedErr })
	return nil
}

// forget drops what the plugin acknowledged: the next push is FULL.
func (p *Pusher) forget() {
	p.acked = nil
	p.update(func(s *Stats) { s.AckedVersion, s.AckedGeneration, s.AckedRecords, s.AckedAt = 0, 0, 0, time.Time{} })
}

// errTooLarge marks a table that cannot be pushed at all.
var errTooLarge = errors.New("too large")

// push sends desired, whole or as a DELTA against the acknowledged table.
func (p *Pusher) push(ctx context.Context, desired []*gslbv1.Record, gen uint64, full bool) error {
	h := &gslbv1.ApplyHeader{Kind: gslbv1.Kind_KIND_FULL}
	upserts, deletes := desired, []string(nil)
	if !full {
		upserts, deletes = diff(p.acked, desired)
		if len(upserts) == 0 && len(deletes) == 0 {
			// Same content under a new generation.
			now := p.opts.Clock.Now()
			p.update(func(s *Stats) { s.AckedGeneration, s.AckedAt, s.LastError = gen, now, nil })
			return nil
		}
		h = &gslbv1.ApplyHeader{Kind: gslbv1.Kind_KIND_DELTA, BaseVersion: p.Stats().AckedVersion}
	}
	msgs, err := chunks(h, upserts, deletes, p.opts.MaxChunkBytes, p.opts.MaxChunkRecords)
	if err != nil {
		return fmt.Errorf("%w: %v", errTooLarge, err)
	}

	start := p.opts.Clock.Now()
	resp, err := p.apply(ctx, msgs)
	if err != nil {
		return fmt.Errorf("apply %s: %w", kindName(h.GetKind()), err)
	}
	if resp.GetVersion() == 0 {
		// The version would mean "nothing acknowledged" and loop on FULLs.
		return fmt.Errorf("apply %s: the plugin answered version 0", kindName(h.GetKind()))
	}
	p.acked = index(desired)
	now := p.opts.Clock.Now()
	p.update(func(s *Stats) {
		s.AckedVersion, s.AckedGeneration, s.AckedRecords = resp.GetVersion(), gen, resp.GetRecords()
		s.AckedAt = now
		s.LastError = nil
		if full {
			s.FullPushes++
		} else {
			s.DeltaPushes++
		}
	})
	p.opts.Logger.Info("applied",
		"target", p.Target(), "kind", kindName(h.GetKind()), "version", resp.GetVersion(),
		"base_version", h.GetBaseVersion(), "upserts", len(upserts), "deletes", len(deletes),
		"records", resp.GetRecords(), "chunks", len(msgs), "duration", now.Sub(start).Round(time.Millisecond))
	return nil
}

// apply streams the chunks of one Apply and returns the plugin's answer.
func (p *Pusher) apply(ctx context.Context, msgs []*gslbv1.ApplyChunk) (*gslbv1.ApplyResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, p.opts.ApplyTimeout)
	defer cancel()
	stream, err := p.client.Apply(ctx)
	if err != nil {
		return nil, err
	}
	for _, m := range msgs {
		if err := stream.Send(m); err != nil {
			if errors.Is(err, io.EOF) {
				// The server ended the call early; its status says why.
				_, err = stream.CloseAndRecv()
			}
			return nil, err
		}
	}
	return stream.CloseAndRecv()
}

// kindName returns "FULL" or "DELTA".
func kindName(k gslbv1.Kind) string { return strings.TrimPrefix(k.String(), "KIND_") }
