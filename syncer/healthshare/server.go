package healthshare

import (
	"log/slog"
	"sync"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/health"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// server serves the prober's decisions while this syncer probes (leader or
// alone); its streams end when it stops.
type server struct {
	gslbv1.UnimplementedHealthShareServer
	prober    *health.Prober
	log       *slog.Logger
	heartbeat time.Duration

	mu      sync.Mutex
	serving bool
	stop    chan struct{} // closed when serving stops
}

func newServer(p *health.Prober, log *slog.Logger, heartbeat time.Duration) *server {
	return &server{prober: p, log: log, heartbeat: heartbeat, stop: make(chan struct{})}
}

// setServing starts or stops serving; stopping ends every stream.
func (s *server) setServing(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.serving == on {
		return
	}
	s.serving = on
	if on {
		s.stop = make(chan struct{})
	} else {
		close(s.stop)
	}
}

// stopped returns the channel closed when serving stops, or nil when it is
// not serving.
func (s *server) stopped() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.serving {
		return nil
	}
	return s.stop
}

// Watch implements gslbv1.HealthShareServer.
func (s *server) Watch(req *gslbv1.WatchHealthRequest, stream gslbv1.HealthShare_WatchServer) error {
	stop := s.stopped()
	if stop == nil {
		return status.Error(codes.Unavailable, "this syncer does not probe: it follows its site's probe leader")
	}
	q := &pending{kick: make(chan struct{}, 1)}
	unwatch := s.prober.WatchDecisions(q.add)
	defer unwatch()
	s.log.Info("probe leader: a follower watches the health", "follower", req.GetFollower())
	defer s.log.Info("probe leader: a follower stopped watching", "follower", req.GetFollower())
	full := true
	tick := time.NewTicker(s.heartbeat)
	defer tick.Stop()
	for {
		if ds := q.take(); len(ds) > 0 || full {
			if err := stream.Send(&gslbv1.HealthUpdate{Full: full, Targets: toProto(ds)}); err != nil {
				return err
			}
			full = false
		}
		select {
		case <-stop:
			return status.Error(codes.Unavailable, "this syncer stopped probing")
		case <-stream.Context().Done():
			return stream.Context().Err()
		case <-q.kick:
		case <-tick.C:
			if err := stream.Send(&gslbv1.HealthUpdate{}); err != nil {
				return err
			}
		}
	}
}

// pending are the decisions not yet sent on one stream, the latest per
// target.
type pending struct {
	mu    sync.Mutex
	ds    []health.Decision
	index map[string]int
	kick  chan struct{}
}

// add is the prober's watcher: it must return at once.
func (q *pending) add(ds []health.Decision) {
	q.mu.Lock()
	if q.index == nil {
		q.index = map[string]int{}
	}
	for _, d := range ds {
		if i, ok := q.index[d.Target]; ok {
			q.ds[i] = d
			continue
		}
		q.index[d.Target] = len(q.ds)
		q.ds = append(q.ds, d)
	}
	q.mu.Unlock()
	select {
	case q.kick <- struct{}{}:
	default:
	}
}

func (q *pending) take() []health.Decision {
	q.mu.Lock()
	defer q.mu.Unlock()
	ds := q.ds
	q.ds, q.index = nil, nil
	return ds
}

func toProto(ds []health.Decision) []*gslbv1.TargetHealth {
	out := make([]*gslbv1.TargetHealth, len(ds))
	for i, d := range ds {
		out[i] = &gslbv1.TargetHealth{Target: d.Target, Health: d.Health, Reason: d.Reason, SinceUnixNano: unixNano(d.Since)}
	}
	return out
}

func fromProto(ts []*gslbv1.TargetHealth) []health.Decision {
	out := make([]health.Decision, 0, len(ts))
	for _, t := range ts {
		if h := t.GetHealth(); h != gslbv1.Health_HEALTH_UP && h != gslbv1.Health_HEALTH_DOWN {
			continue
		}
		var since time.Time
		if n := t.GetSinceUnixNano(); n != 0 {
			since = time.Unix(0, n)
		}
		out = append(out, health.Decision{Target: t.GetTarget(), Health: t.GetHealth(), Reason: t.GetReason(), Since: since})
	}
	return out
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}
