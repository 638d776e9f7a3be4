package main

import (
	"context"
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/health"
)

var (
	table1   = []*gslbv1.Record{{Fqdn: "one.example."}}
	noticed  = time.Unix(500, 0) // when the timed source noticed its change
	reported = time.Unix(900, 0) // the time of watchTimed's clock
)

// plainSource reports table1 once through Watch.
type plainSource struct{}

func (plainSource) Load(context.Context) ([]*gslbv1.Record, error) { return nil, nil }
func (plainSource) Watch(_ context.Context, onChange func([]*gslbv1.Record), _ func(error)) error {
	onChange(table1)
	return nil
}

// checkedOnly reports table1 with a check through WatchChecked.
type checkedOnly struct{ plainSource }

var check = health.Check{Type: health.TypeTCP, Port: 80}

func (checkedOnly) LoadChecked(context.Context) ([]health.Record, error) { return nil, nil }
func (checkedOnly) WatchChecked(_ context.Context, onChange func([]health.Record), _ func(error)) error {
	onChange([]health.Record{{Record: table1[0], Checks: []*health.Check{&check}}})
	return nil
}

// timed reports table1 with a check and its time through WatchTimed.
type timed struct{ checkedOnly }

func (timed) WatchTimed(_ context.Context, onChange func([]health.Record, time.Time), _ func(error)) error {
	onChange([]health.Record{{Record: table1[0], Checks: []*health.Check{&check}}}, noticed)
	return nil
}

// watchTimed prefers WatchTimed, then WatchChecked, then Watch; the changes
// of the last two are dated when they are reported.
func TestWatchTimed(t *testing.T) {
	for _, tt := range []struct {
		name    string
		src     Source
		since   time.Time
		checked bool
	}{
		{"WatchTimed", timed{}, noticed, true},
		{"WatchChecked", checkedOnly{}, reported, true},
		{"Watch", plainSource{}, reported, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []health.Record
			var since time.Time
			err := watchTimed(context.Background(), tt.src, func() time.Time { return reported },
				func(recs []health.Record, s time.Time) { got, since = recs, s },
				func(err error) { t.Errorf("onError(%v)", err) })
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].Record != table1[0] || (len(got[0].Checks) == 1) != tt.checked {
				t.Errorf("reported %+v, want table1 (checked: %v)", got, tt.checked)
			}
			if !since.Equal(tt.since) {
				t.Errorf("dated %v, want %v", since, tt.since)
			}
		})
	}
}
