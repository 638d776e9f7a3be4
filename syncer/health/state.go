package health

import gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"

// state is the health of one target as its probes tell it, damped by rise
// and fall:
//
//   - it starts UNKNOWN, which the plugin serves (a member is never taken out
//     before its probes have failed fall times in a row);
//   - UNKNOWN becomes UP at the first success (nothing changes for the
//     answers: UNKNOWN is served), and DOWN after fall failures in a row;
//   - UP becomes DOWN after fall failures in a row;
//   - DOWN becomes UP after rise successes in a row.
//
// A success resets the count of failures and a failure the count of
// successes, so one bad probe amid good ones never changes anything (with
// fall > 1). reason is what the probe that made the last transition saw.
type state struct {
	health gslbv1.Health
	reason string
	oks    int // successes in a row
	fails  int // failures in a row
}

// observe records one result; it reports whether the health changed.
func (s *state) observe(r Result, rise, fall int) bool {
	if r.OK {
		s.fails = 0
		s.oks++
		if s.health == gslbv1.Health_HEALTH_UNKNOWN || (s.health == gslbv1.Health_HEALTH_DOWN && s.oks >= rise) {
			s.health, s.reason = gslbv1.Health_HEALTH_UP, r.Reason
			return true
		}
		return false
	}
	s.oks = 0
	s.fails++
	if s.health != gslbv1.Health_HEALTH_DOWN && s.fails >= fall {
		s.health, s.reason = gslbv1.Health_HEALTH_DOWN, r.Reason
		return true
	}
	return false
}
