package kube

import (
	"sync/atomic"
	"testing"
)

// TestSiteLeader: without probe-lease every syncer leads its site; with it,
// none does before the election has decided, neither before
// ElectProbeLeader (gslb-syncer starts the delegation, which asks, before
// the health sharing calls it) nor after. SiteLeader runs concurrently with
// ElectProbeLeader, as in gslb-syncer: -race checks that they share nothing
// unsynchronised.
func TestSiteLeader(t *testing.T) {
	for _, c := range []struct {
		name, spec string
		want       bool
	}{
		{"no probe lease", "/kc?lease=gslb/gslb-syncer", true},
		{"probe lease", "/kc?lease=gslb/gslb-syncer&probe-lease=gslb/gslb-probes-s1", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			opts, err := ParseSpec(c.spec)
			if err != nil {
				t.Fatal(err)
			}
			s := NewControlPlane(opts)
			var wrong atomic.Int32
			done := make(chan struct{})
			go func() {
				defer close(done)
				for range 1000 {
					if s.SiteLeader() != c.want {
						wrong.Add(1)
					}
				}
			}()
			s.ElectProbeLeader("127.0.0.1:9155")
			<-done
			if n := wrong.Load(); n > 0 || s.SiteLeader() != c.want {
				t.Errorf("SiteLeader was not %v %d times of 1000 around ElectProbeLeader, and is %v after it", c.want, n, s.SiteLeader())
			}
		})
	}
}
