package filesource

import (
	"context"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/source"
)

// Run implements source.Source: the file as it is now (an error, naming
// the file and line, when it cannot be read or is not valid), then each
// time its content changes and parses, until ctx ends. A file that does not
// parse (or cannot be read) later goes to onError instead and nothing is
// reported as a change, so that the last good table keeps serving. The
// callbacks run on Run's goroutine, one at a time.
//
// Run follows the parent directory rather than the file, so it sees editors
// that replace the file by a rename, and Kubernetes ConfigMap volumes, where
// the file is a symlink into "..data", itself a symlink swapped on update.
// Any event in the directory leads to a (debounced) read, compared by hash.
// Every read waits until the file has been stable for Options.Debounce, and
// a change that would remove most records is held back for a while (see
// Options.DeleteShare): a file rewritten in place is never applied half-way.
// A stat poll backs the events up; if they cannot be set up (for instance
// when inotify instances run out), Run says so through onError and polls.
// Run returns nil when ctx ends.
func (s *Source) Run(ctx context.Context, onChange func(source.Change), onError func(error)) error {
	recs, err := s.load(ctx)
	if err != nil {
		return err
	}
	onChange(source.Change{Records: recs, Since: time.Now()})
	return s.watch(ctx, func(recs []*gslbv1.Record, since time.Time) {
		onChange(source.Change{Records: recs, Since: since})
	}, onError)
}
