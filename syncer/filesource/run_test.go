package filesource

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gslbdns/gslb/syncer/internal/clock"
	"github.com/gslbdns/gslb/syncer/source"
)

// Run reports the file as it is, then each change with the time it was
// noticed; a file that cannot be read at start stops Run with its name.
func TestRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "members.yaml")
	write(t, path, table("v1.example."))
	clk := clock.NewFake(time.Unix(0, 0))
	s := New(path, Options{Clock: clk})
	r := startWatchWith(t, clk, func(ctx context.Context, r *reports) error {
		return s.Run(ctx, func(c source.Change) { r.onTimed(c.Records, c.Since) }, r.onError)
	})
	r.wantChange(t, "v1.example.")
	<-r.times // the start, by the wall clock
	waitIdle(t, clk)

	noticed := clk.Now()
	replace(t, path, table("v2.example."))
	r.wantChange(t, "v2.example.")
	r.wantSince(t, noticed)

	missing := filepath.Join(t.TempDir(), "missing.yaml")
	err := New(missing, Options{}).Run(context.Background(), func(source.Change) { t.Error("a change from a missing file") }, func(error) {})
	if err == nil || !strings.Contains(err.Error(), missing) || !os.IsNotExist(err) {
		t.Fatalf("Run on a missing file: %v, want a not-exist error naming %s", err, missing)
	}
}
