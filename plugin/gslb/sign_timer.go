package gslb

import (
	"time"
)

// The re-sign timer. Signatures are valid for the `validity` of the
// `dnssec` option from when they are made; each name is re-signed between
// half and three quarters of the way (spread by a hash of the name, see
// refreshAt), so a table signed at once is re-signed a slice per tick, and
// no signature is served within a quarter of its validity of expiring.

// tick is how often the timer looks for signatures to refresh.
func (s *zoneSigner) tick() time.Duration {
	return min(max(s.validity/64, time.Second), time.Hour)
}

// run re-signs on the timer until stopped.
func (s *zoneSigner) run(stop <-chan struct{}) {
	t := time.NewTicker(s.tick())
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			s.resign()
		}
	}
}

// resign re-signs what is due and publishes a new snapshot of the same
// table, if anything was. It reports how many names it re-signed.
func (s *zoneSigner) resign() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.cur.Load()
	if old == nil {
		return 0
	}
	now := s.now()
	due := func(e *signedName) bool { return e.refresh <= now.Unix() }
	statics := old.statics
	if statics[s.zone].refresh <= now.Unix() {
		statics = s.signStatics(now)
	}
	n := 0
	for _, e := range old.names {
		if due(e) || (e.st != nil && statics[e.name] != e.st) {
			n++
		}
	}
	if n == 0 && old.soaRefresh > now.Unix() {
		return 0
	}
	sz := &signedZone{table: old.table, names: make([]*signedName, len(old.names)), statics: statics}
	for i, e := range old.names {
		if e.st != nil && statics[e.name] != e.st {
			c := *e
			c.st = statics[e.name]
			c.refresh = 0 // re-sign it all
			e = &c
		}
		sz.names[i] = e
	}
	s.finish(sz, now, due, nil)
	sz.index = newNameIndex(sz.names)
	s.cur.Store(sz)
	return n
}
