package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/gslbdns/gslb/syncer/gslbctl"
)

// explain prints why a client gets what it gets for a name, from the
// plugin's table (read-only Dump).
func explain(ctx context.Context, args []string, out io.Writer) (int, error) {
	fs := flag.NewFlagSet("explain", flag.ContinueOnError)
	clientFlag := fs.String("client", "", "the client's address, or the ECS prefix its resolver sends (CIDR)")
	typ := fs.String("type", "A", "query type: A or AAAA")
	geoip := fs.String("geoip", "", "the plugin's GeoIP database file, to explain geo records")
	var api apiFlags
	api.register(fs)
	fs.StringVar(&api.addr, "server", "", "the same as --api")
	name, err := parse(fs, args)
	if err != nil {
		return 2, err
	}
	if api.addr == "" || *clientFlag == "" {
		return 2, errors.New("explain: --client and --server (the plugin's API) are required")
	}
	client, err := gslbctl.ParseSubnet(*clientFlag)
	if err != nil {
		return 2, fmt.Errorf("--client: %v", err)
	}
	qt, err := qtypeOf(*typ)
	if err != nil {
		return 2, err
	}
	var loc gslbctl.Locator
	if *geoip != "" {
		db, err := gslbctl.OpenGeoIP(*geoip)
		if err != nil {
			return 1, fmt.Errorf("--geoip: %v", err)
		}
		defer db.Close()
		loc = db
	}
	_, recs, err := api.dump(ctx)
	if err != nil {
		return 1, fmt.Errorf("reading the table from %s: %v", api.addr, err)
	}
	r := gslbctl.FindRecord(recs, name)
	if r == nil {
		return 1, fmt.Errorf("%s is not in the plugin's table", name)
	}
	gslbctl.Explain(r, client, qt, loc).Print(out)
	return 0, nil
}
