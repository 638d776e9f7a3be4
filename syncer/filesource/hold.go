package filesource

import (
	"fmt"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
)

// HoldError reports a change held back because it would remove most of the
// records at once (see Options.DeleteShare): it is applied once the file has
// been stable for Options.DeleteHold, unless the file changes again first.
type HoldError struct {
	File             string
	Removed, Records int
	Hold             time.Duration
}

func (e *HoldError) Error() string {
	return fmt.Sprintf("%s: the change would remove %d of %d records; held back until the file has been unchanged for %v "+
		"(a file rewritten in place may have been read half-written; write it atomically)", e.File, e.Removed, e.Records, e.Hold)
}

// holdLocked decides whether the parsed content sum, stable for the given
// time, is held back: it was written in place (the same file as the one read
// before: a file replaced by a rename is complete), it removes more than
// DeleteShare of the records reported last, and it has not been stable for
// DeleteHold. It returns how much longer to wait (0: apply it) and, the
// first time a content is held, the error to report. Callers hold s.mu.
func (s *Source) holdLocked(recs []*gslbv1.Record, sum [32]byte, stable time.Duration, inPlace bool) (time.Duration, error) {
	o := s.opts
	if !inPlace || o.DeleteShare >= 1 || stable >= o.DeleteHold || len(s.names) == 0 {
		return 0, nil
	}
	kept := names(recs)
	removed := 0
	for n := range s.names {
		if _, ok := kept[n]; !ok {
			removed++
		}
	}
	if float64(removed) <= o.DeleteShare*float64(len(s.names)) {
		return 0, nil
	}
	var err error
	if sum != s.held {
		s.held = sum
		err = &HoldError{File: s.path, Removed: removed, Records: len(s.names), Hold: o.DeleteHold}
	}
	return o.DeleteHold - stable, err
}

// names returns the set of the records' names.
func names(recs []*gslbv1.Record) map[string]struct{} {
	m := make(map[string]struct{}, len(recs))
	for _, r := range recs {
		m[r.GetFqdn()] = struct{}{}
	}
	return m
}
