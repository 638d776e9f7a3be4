package main

import (
	"context"
	"log/slog"
	"sync"

	"github.com/gslbdns/gslb/syncer/delegation"
	"github.com/gslbdns/gslb/syncer/push"
	"github.com/gslbdns/gslb/syncer/source"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// startDelegation keeps the delegation of the file at path ("" for none)
// until ctx ends: this site's NS in the parent while a plugin it pushes to
// serves a table. A bad file is an error naming the file and field.
func startDelegation(ctx context.Context, wg *sync.WaitGroup, path string, src source.Source, pushers []*push.Pusher,
	reg prometheus.Registerer, log *slog.Logger) error {
	if path == "" {
		return nil
	}
	f, err := delegation.LoadFile(path)
	if err != nil {
		return err
	}
	r, err := delegation.NewRunner(f, delegation.RunnerOptions{
		Ready:      func() bool { return pluginsServe(pushers) },
		Leading:    siteLeader(src),
		Logger:     log,
		Registerer: reg,
	})
	if err != nil {
		return err
	}
	log.Info("keeping the delegation", "file", path, "zone", f.Zone, "ns", f.NS,
		"withdraw_after", f.WithdrawAfter, "rfc2136", f.RFC2136 != nil, "dnsendpoint", f.DNSEndpoint != nil)
	wg.Go(func() { r.Run(ctx) })
	return nil
}

// siteLeader gates the delegation: only the site's leader keeps it. The
// Kubernetes source with the probe-lease option elects it (SiteLeader);
// without an election every syncer given --delegation leads its site, so
// give it to one syncer per site.
func siteLeader(src source.Source) func() bool {
	if e, ok := src.(interface{ SiteLeader() bool }); ok {
		return e.SiteLeader
	}
	return func() bool { return true }
}

// pluginsServe reports whether this site's DNS is ready for the
// delegation: a plugin acknowledged a table with records and answered the
// pusher's last check (every --resync). A plugin that refused the newest
// table as invalid still serves the one before.
func pluginsServe(pushers []*push.Pusher) bool {
	for _, p := range pushers {
		s := p.Stats()
		if s.AckedVersion != 0 && s.AckedRecords > 0 &&
			(s.LastError == nil || status.Code(s.LastError) == codes.InvalidArgument) {
			return true
		}
	}
	return false
}
