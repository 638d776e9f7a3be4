package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/health"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// fakeDumper answers Dump once release is closed (at once if nil), or
// blocks until ctx ends when hang is set.
type fakeDumper struct {
	target  string
	recs    []*gslbv1.Record
	err     error
	release chan struct{}
	hang    bool
}

func (d *fakeDumper) Target() string { return d.target }

func (d *fakeDumper) Dump(ctx context.Context) ([]*gslbv1.Record, error) {
	if d.hang {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if d.release != nil {
		select {
		case <-d.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return d.recs, d.err
}

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestServedTable(t *testing.T) {
	table := []*gslbv1.Record{{Fqdn: "hello.example.", Members: []*gslbv1.Member{{Address: "10.0.0.1", Health: gslbv1.Health_HEALTH_DOWN}}}}
	never := make(chan struct{}) // answers after the timeout only
	defer close(never)
	for _, tt := range []struct {
		name    string
		plugins []dumper
		want    string // the target whose table is returned; "" for none
	}{
		{"the one that answers", []dumper{
			&fakeDumper{target: "down", err: errors.New("connection refused")},
			&fakeDumper{target: "up", recs: table},
		}, "up"},
		{"an empty table tells nothing", []dumper{
			&fakeDumper{target: "empty"},
			&fakeDumper{target: "full", recs: table},
		}, "full"},
		{"the first that answers, not the first listed", []dumper{
			&fakeDumper{target: "slow", recs: table, release: never},
			&fakeDumper{target: "fast", recs: table},
		}, "fast"},
		{"a hanging plugin does not hold the start-up beyond the timeout", []dumper{
			&fakeDumper{target: "hang", hang: true},
			&fakeDumper{target: "down", err: errors.New("connection refused")},
		}, ""},
		{"no plugin", nil, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			recs, target := servedTable(context.Background(), tt.plugins, 200*time.Millisecond, discard)
			if target != tt.want || (tt.want != "" && len(recs) != 1) || (tt.want == "" && recs != nil) {
				t.Errorf("table of %q (%d records), want %q's", target, len(recs), tt.want)
			}
		})
	}
}

// seedProber gives the prober's targets the health of the first table a
// plugin serves.
func TestSeedProber(t *testing.T) {
	c := health.Check{Type: health.TypeTCP, Port: 80}.WithDefaults("")
	rec := &gslbv1.Record{Fqdn: "hello.example.", Members: []*gslbv1.Member{
		{Address: "10.0.0.1", Weight: 1, Check: c.Proto()}, {Address: "10.0.0.2", Weight: 1, Check: c.Proto()},
	}}
	reg := prometheus.NewRegistry()
	p := health.New(health.Options{Logger: discard, Registerer: reg})
	p.Update([]*gslbv1.Record{rec})
	served := []*gslbv1.Record{{Fqdn: "hello.example.", Members: []*gslbv1.Member{
		{Address: "10.0.0.1", Weight: 1, Health: gslbv1.Health_HEALTH_DOWN, HealthReason: "connect: connection refused"},
		{Address: "10.0.0.2", Weight: 1, Health: gslbv1.Health_HEALTH_UP, HealthReason: "TCP connect ok"},
	}}}
	recs, target := readSeed(context.Background(), []dumper{
		&fakeDumper{target: "a", err: errors.New("connection refused")},
		&fakeDumper{target: "b", recs: served},
	}, discard)
	seedProber(p, recs, target, discard)
	want := `# HELP gslb_syncer_health_target_up 1 when the target is up, 0 when it is down; absent while its health is unknown.
# TYPE gslb_syncer_health_target_up gauge
gslb_syncer_health_target_up{address="10.0.0.1",port="80",type="tcp"} 0
gslb_syncer_health_target_up{address="10.0.0.2",port="80",type="tcp"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "gslb_syncer_health_target_up"); err != nil {
		t.Error(err)
	}
}
