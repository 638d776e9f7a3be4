package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/gslbdns/gslb/syncer/statuspage"
)

// status runs "gslbctl status --syncer http://HOST:PORT [--search TEXT]
// [--page N] [--size N] [-o text|json]": a page of the records, members
// and health from a gslb-syncer's status page's JSON (--status-page).
func status(ctx context.Context, args []string, out io.Writer) (int, error) {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	syncer := fs.String("syncer", "", "the gslb-syncer's metrics address, http://HOST:PORT")
	search := fs.String("search", "", "only the records whose name contains `TEXT`")
	page := fs.Int("page", 1, "the page to show, from 1")
	size := fs.Int("size", 50, "records per page (at most 500)")
	format := fs.String("o", "text", "output: text (a table) or json")
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	switch {
	case fs.NArg() > 0:
		return 2, fmt.Errorf("status: unexpected argument %q", fs.Arg(0))
	case *syncer == "":
		return 2, errors.New("status: give the syncer's metrics address with --syncer http://HOST:PORT")
	}
	if err := checkFormat("status", *format); err != nil {
		return 2, err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	s, err := statuspage.Fetch(ctx, *syncer, *search, *page, *size)
	if err != nil {
		return 1, err
	}
	if err := writeOutput(out, *format, s, func(w io.Writer) error { return statuspage.WriteText(w, s) }); err != nil {
		return 1, err
	}
	return 0, nil
}
