// Package push keeps the table of a gslb CoreDNS plugin equal to a desired
// table, over the gslb.v1.Table gRPC service.
//
// A Pusher serves one plugin. It remembers the version the plugin
// acknowledged for the last table it pushed; when the plugin still has that
// version it sends only the difference (DELTA), otherwise — first push,
// plugin restarted, another feeder pushed — the whole table (FULL).
package push

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/internal/observed"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

// Pusher pushes the latest table given to Update to one plugin; Run does the work.
type Pusher struct {
	target target
	opts   Options
	creds  credentials.TransportCredentials
	kick   chan struct{} // capacity 1: "the desired table changed"

	running atomic.Bool

	mu         sync.Mutex // guards desired and the stats' DesiredGeneration together
	desired    []*gslbv1.Record
	hasDesired bool
	stats      observed.Value[Stats]

	// Owned by Run's goroutine.
	conn        *grpc.ClientConn
	client      gslbv1.TableClient
	acked       map[string]*gslbv1.Record // the table the plugin holds at stats.AckedVersion
	rejectedGen uint64                    // a generation the plugin refused as invalid
	rejectedErr error                     // the refusal of rejectedGen
}

// New returns a Pusher to the target "unix:///path/to.sock" or
// "tcp://HOST:PORT" (which needs opts.TLS). It does not connect yet.
func New(targetAddr string, opts Options) (*Pusher, error) {
	t, err := parseTarget(targetAddr)
	if err != nil {
		return nil, err
	}
	creds, err := credentialsFor(t, opts.TLS)
	if err != nil {
		return nil, err
	}
	p := &Pusher{target: t, opts: opts.withDefaults(), creds: creds, kick: make(chan struct{}, 1)}
	p.update(func(s *Stats) { s.Target = t.String() })
	return p, nil
}

// Target returns the target as "unix://path" or "tcp://host:port".
func (p *Pusher) Target() string { return p.target.String() }

// Update makes records the desired table and returns its generation, which
// counts the calls to Update from 1. It does not block: Run pushes the
// latest table, skipping those replaced before it got to them. records must
// have unique, canonical fqdns (as filesource returns them), and neither the
// slice nor the records may be modified afterwards.
func (p *Pusher) Update(records []*gslbv1.Record) uint64 {
	var gen uint64
	p.mu.Lock()
	p.desired, p.hasDesired = records, true
	p.update(func(s *Stats) {
		s.DesiredGeneration++
		gen = s.DesiredGeneration
	})
	p.mu.Unlock()
	select {
	case p.kick <- struct{}{}:
	default: // a kick is already pending
	}
	return gen
}

// desiredTable returns the latest table given to Update and its generation.
func (p *Pusher) desiredTable() (records []*gslbv1.Record, gen uint64, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.desired, p.stats.Get().DesiredGeneration, p.hasDesired
}

// Run pushes until ctx ends, then returns nil. It may be called once.
//
// Each round checks the plugin's version (Status) and pushes what is needed;
// rounds start when Update is called and every Resync. A failed call drops
// the connection and the next round waits for a backoff that grows from
// BackoffBase to BackoffMax; a table the plugin refuses as invalid is not
// pushed again until the next Update.
func (p *Pusher) Run(ctx context.Context) error {
	if !p.running.CompareAndSwap(false, true) {
		return errors.New("push: Run called twice")
	}
	defer p.disconnect()
	clk := p.opts.Clock
	bo := backoff{base: p.opts.BackoffBase, max: p.opts.BackoffMax, rand: p.opts.Rand}
	for {
		err := p.sync(ctx)
		if ctx.Err() != nil {
			return nil
		}
		wait, wake := p.opts.Resync, p.kick
		if err != nil {
			p.disconnect()
			wait, wake = bo.next(), nil // an Update does not cut the backoff short
			p.update(func(s *Stats) { s.LastError = err })
			p.opts.Logger.Warn("push failed", "target", p.Target(), "err", err, "retry_in", wait)
		} else {
			bo.reset()
		}
		t := clk.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-wake:
			t.Stop()
		case <-t.C():
		}
	}
}

// connect makes the gRPC client if there is none. The connection itself is
// made by the first call.
func (p *Pusher) connect() error {
	if p.conn != nil {
		return nil
	}
	conn, err := newClient(p.target, p.creds, p.opts.Dial)
	if err != nil {
		return err
	}
	p.conn, p.client = conn, gslbv1.NewTableClient(conn)
	return nil
}

func (p *Pusher) disconnect() {
	if p.conn != nil {
		p.conn.Close()
		p.conn, p.client = nil, nil
	}
}
