package main

import (
	"testing"

	"github.com/gslbdns/gslb/syncer/source"
)

// electedSource is a source with a site election whose result the test sets.
type electedSource struct {
	source.Source
	leading bool
}

func (e *electedSource) SiteLeader() bool { return e.leading }

// The delegation follows the source's site election when it has one, and
// leads without one.
func TestSiteLeader(t *testing.T) {
	if !siteLeader(nil)() {
		t.Error("a source without a site election: not leading, want leading")
	}
	e := &electedSource{}
	gate := siteLeader(e)
	if gate() {
		t.Error("a follower of its site's election leads the delegation")
	}
	e.leading = true
	if !gate() {
		t.Error("the site's leader does not lead the delegation")
	}
}
