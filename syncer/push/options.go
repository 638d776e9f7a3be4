package push

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net"
	"time"

	"github.com/gslbdns/gslb/syncer/internal/clock"
)

// Defaults of Options.
const (
	DefaultResync          = time.Second
	DefaultMaxChunkBytes   = 1 << 20 // well under gRPC's default 4 MiB message limit
	DefaultMaxChunkRecords = 5000
	DefaultStatusTimeout   = 10 * time.Second
	DefaultApplyTimeout    = 2 * time.Minute
	DefaultBackoffBase     = 100 * time.Millisecond
	DefaultBackoffMax      = 5 * time.Second
)

// Options tune a Pusher. The zero value is what production uses, except
// that tcp targets need TLS.
type Options struct {
	// TLS is required for tcp:// targets and unused for unix:// ones.
	TLS TLSFiles
	// Logger receives the Pusher's logs. Default: slog.Default().
	Logger *slog.Logger
	// Resync is how often the plugin's version is checked when nothing
	// changes, to notice a plugin that restarted or was pushed to by
	// someone else. Default 1s.
	Resync time.Duration
	// MaxChunkBytes and MaxChunkRecords bound one ApplyChunk message.
	MaxChunkBytes, MaxChunkRecords int
	// StatusTimeout and ApplyTimeout bound one call.
	StatusTimeout, ApplyTimeout time.Duration
	// BackoffBase doubles after each failure up to BackoffMax.
	BackoffBase, BackoffMax time.Duration

	// Dial opens the connection to the target ("unix", path or "tcp",
	// host:port). Default: a net.Dialer.
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
	// Clock drives the resync and backoff timers. Default: the real clock.
	Clock clock.Clock
	// Rand returns a number in [0, 1), for the backoff's jitter.
	// Default: math/rand/v2.Float64.
	Rand func() float64
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Resync <= 0 {
		o.Resync = DefaultResync
	}
	if o.MaxChunkBytes <= 0 {
		o.MaxChunkBytes = DefaultMaxChunkBytes
	}
	if o.MaxChunkRecords <= 0 {
		o.MaxChunkRecords = DefaultMaxChunkRecords
	}
	if o.StatusTimeout <= 0 {
		o.StatusTimeout = DefaultStatusTimeout
	}
	if o.ApplyTimeout <= 0 {
		o.ApplyTimeout = DefaultApplyTimeout
	}
	if o.BackoffBase <= 0 {
		o.BackoffBase = DefaultBackoffBase
	}
	if o.BackoffMax <= 0 {
		o.BackoffMax = DefaultBackoffMax
	}
	if o.Dial == nil {
		var d net.Dialer
		o.Dial = d.DialContext
	}
	if o.Clock == nil {
		o.Clock = clock.Real()
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	return o
}
