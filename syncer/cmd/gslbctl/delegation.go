package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/gslbdns/gslb/syncer/gslbctl"
)

// delegationStatus runs "gslbctl delegation --syncer http://HOST:PORT
// [-o text|json]": the delegation's status as a gslb-syncer serves it.
// Exit status 1 when an output is failing, or the syncer does not answer.
func delegationStatus(ctx context.Context, args []string, out io.Writer) (int, error) {
	fs := flag.NewFlagSet("delegation", flag.ContinueOnError)
	syncer := fs.String("syncer", "", "the gslb-syncer's metrics address, http://HOST:PORT")
	format := fs.String("o", "text", "output: text (a table) or json")
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	switch {
	case fs.NArg() > 0:
		return 2, fmt.Errorf("delegation: unexpected argument %q", fs.Arg(0))
	case *syncer == "":
		return 2, errors.New("delegation: give the syncer's metrics address with --syncer http://HOST:PORT")
	}
	if err := checkFormat("delegation", *format); err != nil {
		return 2, err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	s, err := gslbctl.FetchDelegation(ctx, *syncer)
	if err != nil {
		return 1, err
	}
	err = writeOutput(out, *format, s, func(w io.Writer) error { return gslbctl.WriteDelegation(w, s) })
	if err != nil {
		return 1, err
	}
	if s.Failing() {
		return 1, errors.New("delegation: an output is failing")
	}
	return 0, nil
}
