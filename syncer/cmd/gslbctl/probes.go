package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gslbdns/gslb/syncer/gslbctl"
)

// urls is a repeatable flag.
type urls []string

func (u *urls) String() string     { return strings.Join(*u, ",") }
func (u *urls) Set(v string) error { *u = append(*u, v); return nil }

// probes runs "gslbctl probes --syncer http://HOST:PORT [--syncer …]
// [-o text|json]": each syncer's role in its site's shared probes and the
// probe leader it knows, read from its metrics. Exit status 1 when a
// syncer does not answer or does not share its probes.
func probes(ctx context.Context, args []string, out io.Writer) (int, error) {
	fs := flag.NewFlagSet("probes", flag.ContinueOnError)
	var syncers urls
	fs.Var(&syncers, "syncer", "a gslb-syncer's metrics address, http://HOST:PORT (repeat for each syncer of the site)")
	format := fs.String("o", "text", "output: text (a table) or json")
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	switch {
	case fs.NArg() > 0:
		return 2, fmt.Errorf("probes: unexpected argument %q", fs.Arg(0))
	case len(syncers) == 0:
		return 2, errors.New("probes: give each syncer's metrics address with --syncer http://HOST:PORT")
	}
	if err := checkFormat("probes", *format); err != nil {
		return 2, err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	states := make([]gslbctl.ProbeState, len(syncers))
	failed := 0
	for i, s := range syncers {
		states[i] = gslbctl.FetchProbes(ctx, s)
		if states[i].Err != "" {
			failed++
		}
	}
	if err := writeOutput(out, *format, states, func(w io.Writer) error { return gslbctl.WriteProbes(w, states) }); err != nil {
		return 1, err
	}
	if failed > 0 {
		return 1, fmt.Errorf("probes: %d of %d syncers not read", failed, len(syncers))
	}
	return 0, nil
}
