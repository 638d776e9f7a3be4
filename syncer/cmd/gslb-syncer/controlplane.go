package main

import "github.com/gslbdns/gslb/syncer/source"

// controlPlane is what a source's config cluster gives the rest of the
// syncer (the Kubernetes source's kube.ControlPlane, built with it in
// openSource): the status sink the pushers report to, the site's probe
// election healthshare follows, and the site's leadership and Events the
// delegation uses. A source without one (the file source) has a nil
// controlPlane.
type controlPlane interface {
	source.StatusSink
	source.ProbeElected
	// SiteLeader tells whether this syncer leads its site now.
	SiteLeader() bool
	// SiteEvent records an Event about this syncer's site.
	SiteEvent(warning bool, reason, message string)
}

// opened is a source opened by openSource, with what it brings besides
// its tables.
type opened struct {
	src source.Source
	// seed gives the source the table a plugin serves at start-up (what a
	// source that has not synced yet keeps); nil: the source keeps none.
	seed        source.Seeded
	plane       controlPlane // nil: none
	metricsAddr string       // where the spec asks the metrics to be served; "" if nowhere
}
