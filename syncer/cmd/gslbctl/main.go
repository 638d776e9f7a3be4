// Command gslbctl is the operator's CLI for gslb:
//
//	gslbctl split NAME --server ADDR [-n 5000] [--qps 100] [--type A|AAAA] [--expect 6:3:1 | --api unix:///…] [--chart split.svg]
//	gslbctl watch URL --server ADDR [--interval 2s] [--count N]
//	gslbctl table --server unix:///… [-o text|json]
//	gslbctl explain NAME --client IP --server unix:///… [--geoip PATH] [--type A|AAAA]
//	gslbctl dnssec-key ZONE [--dir .] [--name csk]
//	gslbctl convert amko [FILES|DIR|-] [--strict] [-o DIR]
//	gslbctl drain (--cluster C | --site S) [--reason TEXT] | --list, gslbctl undrain (--cluster C | --site S)
//	gslbctl delegation --syncer http://HOST:PORT [-o text|json]
//	gslbctl probes --syncer http://HOST:PORT [--syncer …] [-o text|json]
//	gslbctl status --syncer http://HOST:PORT [--search TEXT] [--page N] [-o text|json]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/gslbctl"
	"github.com/gslbdns/gslb/syncer/push"

	"github.com/miekg/dns"
	"golang.org/x/term"
)

const usage = `gslbctl: the operator's CLI of gslb.

  gslbctl split NAME --server HOST:PORT [-n 5000] [--qps 100] [--type A|AAAA]
                [--expect 6:3:1 | --expect ADDR=W,ADDR=W | --api unix:///PATH] [--chart split.svg|split.png]
                [--subnet CIDR]
      Query NAME n times and compare the members answered with the configured weights
      (from --expect, or read from the plugin's table with --api): a table of shares and a
      chi-square verdict; --chart draws configured vs observed. Exit status 1 when the
      split deviates. --subnet sends it as EDNS Client Subnet: the split the clients of that
      network get (with --api, the weights of the members that serve them).

  gslbctl watch URL --server HOST:PORT [--interval 2s] [--count N] [--api unix:///PATH]
      Each round: resolve the URL's host through the server, GET the URL from the answered
      address, and print time, address, site, HTTP status and the page's message line.

  gslbctl table --server unix:///PATH [-o text|json]   (--api is a synonym)
      Dump the plugin's table: version, age, records, members with weight, priority and health.

  gslbctl explain NAME --client IP|CIDR --server unix:///PATH [--geoip PATH] [--type A|AAAA]
      Why a client gets what it gets: where the record comes from, the algorithm, the client's
      site and why (the CIDR of the topology map, the GeoIP entry and distances, the hashed
      prefix), every member with weight, priority, health and role, and the answer.
  gslbctl dnssec-key ZONE [--dir .] [--name csk]
      Make an ECDSA P-256 key for signing ZONE with CoreDNS's dnssec plugin: DIR/NAME.key and
      DIR/NAME.private (0600; never overwritten), as dnssec-keygen writes them. Prints the DS
      record to publish in the parent zone.

  gslbctl convert amko [FILES|DIR|-] [--strict] [-o DIR] [--config-context CTX] [--kubeconfig PATH]
      Convert AMKO's GlobalDeploymentPolicy, GSLBHostRule and GSLBConfig objects (YAML or JSON,
      kubectl get -o yaml output and lists included; stdin without FILES) to ours, the syncer's
      --source and the chart's values (-o DIR: gslb.yaml, values.yaml, source.txt; otherwise the
      objects on stdout). Fields not mapped are listed on stderr and commented in the output;
      --strict exits 1 when there is any. See deploy/amko.md.

  gslbctl drain (--cluster NAME | --site NAME) [--reason TEXT] [--kubeconfig PATH] [--context CTX]
  gslbctl drain --list
  gslbctl undrain (--cluster NAME | --site NAME)
      Take a member cluster's members, or a site's, out of every answer without editing a
      policy (maintenance), and back: a GSLBDrain object in the config cluster (the
      kubeconfig's current context, or --context), applied by gslb-syncer within a second,
      shown in gslbctl table and the policies' status ("drained by GSLBDrain NAME"), kept
      across restarts. Needs the ClusterRole deploy/rbac/drain-operator.yaml.

  gslbctl delegation --syncer http://HOST:PORT [-o text|json]
      The delegation a gslb-syncer with --delegation keeps (read from its metrics address):
      per output (rfc2136, dnsendpoint) where, the state (registered, withdrawn, failing,
      waiting-for-ready, not-leader) and since when, the last success, the next check and the
      last error (reason and message). Exit status 1 when an output is failing.

  gslbctl probes --syncer http://HOST:PORT [--syncer …] [-o text|json]
      Each gslb-syncer's role in its site's shared probes (read from its metrics address):
      leader, follower, alone or waiting, whether it probes, and the probe leader it knows
      (HOST:PORT from the probe Lease, "itself" when it is). Exit status 1 when a syncer
      does not answer or does not share its probes.

  gslbctl status --syncer http://HOST:PORT [--search TEXT] [--page N] [--size N] [-o text|json]
      A page of the records a gslb-syncer pushes, one line per member: weight configured and
      effective, priority, health (drained, stale), since when, its share of the last answers
      and why; then its probe role and each plugin's sync state. Read from the status page's
      JSON (/status/api/v1/summary; the syncer needs --status-page).

The --api address takes --tls-cert, --tls-key and --tls-ca for tcp://HOST:PORT.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code, err := run(ctx, os.Args[1:], os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gslbctl:", err)
	}
	os.Exit(code)
}

func run(ctx context.Context, args []string, out io.Writer) (int, error) {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(out, usage)
		return 0, nil
	}
	switch args[0] {
	case "split":
		return split(ctx, args[1:], out)
	case "watch":
		return watch(ctx, args[1:], out)
	case "table":
		return table(ctx, args[1:], out)
	case "explain":
		return explain(ctx, args[1:], out)
	case "dnssec-key":
		return dnssecKey(args[1:], out)
	case "convert":
		return convert(args[1:], os.Stdin, out, os.Stderr)
	case "drain":
		return drain(ctx, args[1:], out)
	case "undrain":
		return undrain(ctx, args[1:], out)
	case "delegation":
		return delegationStatus(ctx, args[1:], out)
	case "probes":
		return probes(ctx, args[1:], out)
	case "status":
		return status(ctx, args[1:], out)
	}
	return 2, fmt.Errorf("unknown command %q\n\n%s", args[0], usage)
}

// apiFlags are the flags that reach the plugin's gRPC API.
type apiFlags struct {
	addr          string
	cert, key, ca string
}

func (a *apiFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&a.addr, "api", "", "the plugin's gRPC API: unix:///PATH or tcp://HOST:PORT")
	fs.StringVar(&a.cert, "tls-cert", "", "client certificate (tcp)")
	fs.StringVar(&a.key, "tls-key", "", "client key (tcp)")
	fs.StringVar(&a.ca, "tls-ca", "", "CA of the plugin's certificate (tcp)")
}

func (a *apiFlags) dump(ctx context.Context) (*gslbv1.StatusResponse, []*gslbv1.Record, error) {
	conn, err := push.Dial(a.addr, push.TLSFiles{Cert: a.cert, Key: a.key, CA: a.ca})
	if err != nil {
		return nil, nil, err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return gslbctl.Dump(ctx, gslbv1.NewTableClient(conn))
}

// parse parses flags that may come before or after the positional argument.
func parse(fs *flag.FlagSet, args []string) (string, error) {
	var pos []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return "", err
		}
		args = fs.Args()
		if len(args) > 0 {
			pos = append(pos, args[0])
			args = args[1:]
		}
	}
	if len(pos) != 1 {
		return "", fmt.Errorf("%s: want exactly one %s argument, got %d", fs.Name(), map[string]string{"split": "NAME", "watch": "URL", "explain": "NAME", "dnssec-key": "ZONE"}[fs.Name()], len(pos))
	}
	return pos[0], nil
}

func qtypeOf(s string) (uint16, error) {
	switch strings.ToUpper(s) {
	case "A":
		return dns.TypeA, nil
	case "AAAA":
		return dns.TypeAAAA, nil
	}
	return 0, fmt.Errorf("--type %q: want A or AAAA", s)
}

func split(ctx context.Context, args []string, out io.Writer) (int, error) {
	fs := flag.NewFlagSet("split", flag.ContinueOnError)
	server := fs.String("server", "127.0.0.1:53", "DNS server HOST:PORT")
	n := fs.Int("n", 5000, "queries to send")
	qps := fs.Float64("qps", 100, "queries per second (0: as fast as answers come)")
	typ := fs.String("type", "A", "query type: A or AAAA")
	expect := fs.String("expect", "", "configured weights: 6:3:1 (in member address order) or ADDR=W,ADDR=W")
	chart := fs.String("chart", "", "write a chart of configured vs observed shares (.svg or .png)")
	alpha := fs.Float64("alpha", 0.01, "significance level of the chi-square test")
	proto := fs.String("proto", "udp", "udp or tcp")
	deadline := fs.Duration("deadline", 0, "stop after this long (default: n/qps + 30s)")
	subnetFlag := fs.String("subnet", "", "send this CIDR as EDNS Client Subnet")
	var api apiFlags
	api.register(fs)
	name, err := parse(fs, args)
	if err != nil {
		return 2, err
	}
	qt, err := qtypeOf(*typ)
	if err != nil {
		return 2, err
	}
	var subnet netip.Prefix
	if *subnetFlag != "" {
		if subnet, err = gslbctl.ParseSubnet(*subnetFlag); err != nil {
			return 2, fmt.Errorf("--subnet: %v", err)
		}
	}
	if (*expect == "") == (api.addr == "") {
		return 2, errors.New("split: give the configured weights with exactly one of --expect and --api")
	}
	var positional []uint32
	var expected []gslbctl.Expected
	if *expect != "" {
		if positional, expected, err = gslbctl.ParseExpect(*expect); err != nil {
			return 2, err
		}
	} else {
		_, recs, err := api.dump(ctx)
		if err != nil {
			return 1, fmt.Errorf("reading the table from %s: %v", api.addr, err)
		}
		r := gslbctl.FindRecord(recs, name)
		if r == nil {
			return 1, fmt.Errorf("%s is not in the plugin's table", name)
		}
		if subnet.IsValid() {
			expected, err = gslbctl.ConfiguredFor(r, qt, subnet)
		} else {
			expected, err = gslbctl.Configured(r, qt)
		}
		if err != nil {
			return 1, err
		}
	}
	if *deadline == 0 {
		*deadline = 30 * time.Second
		if *qps > 0 {
			*deadline += time.Duration(float64(*n) / *qps * float64(time.Second))
		}
	}
	counts, sent, failed, elapsed, err := gslbctl.Measure(ctx, gslbctl.SplitOptions{
		Server: *server, Name: name, Qtype: qt, N: *n, QPS: *qps, Deadline: *deadline, Alpha: *alpha,
		Client: &dns.Client{Net: *proto, Timeout: 2 * time.Second}, Subnet: subnet,
	})
	if err != nil {
		return 1, err
	}
	res, err := gslbctl.Evaluate(name, qt, counts, sent, failed, elapsed, expected, positional, *alpha)
	if err != nil {
		return 1, err
	}
	res.Print(out)
	if *chart != "" {
		if err := res.WriteChart(*chart); err != nil {
			return 1, err
		}
		fmt.Fprintf(out, "chart written to %s\n", *chart)
	}
	if !res.OK {
		return 1, nil
	}
	return 0, nil
}

func watch(ctx context.Context, args []string, out io.Writer) (int, error) {
	fs := flag.NewFlagSet("watch", flag.ContinueOnError)
	server := fs.String("server", "127.0.0.1:53", "DNS server HOST:PORT")
	interval := fs.Duration("interval", 2*time.Second, "time between rounds")
	count := fs.Int("count", 0, "rounds (0: until Ctrl-C)")
	match := fs.String("match", "", "regular expression of the page's message line")
	color := fs.String("color", "auto", "auto, always or never")
	var api apiFlags
	api.register(fs)
	u, err := parse(fs, args)
	if err != nil {
		return 2, err
	}
	o := gslbctl.WatchOptions{URL: u, Server: *server, Interval: *interval, Count: *count,
		Client: &dns.Client{Timeout: 2 * time.Second}}
	if *match != "" {
		if o.Match, err = regexp.Compile(*match); err != nil {
			return 2, fmt.Errorf("--match: %v", err)
		}
	}
	switch *color {
	case "always":
		o.Color = true
	case "auto":
		f, ok := out.(*os.File)
		o.Color = ok && term.IsTerminal(int(f.Fd()))
	}
	if api.addr != "" {
		_, recs, err := api.dump(ctx)
		if err != nil {
			return 1, fmt.Errorf("reading the table from %s: %v", api.addr, err)
		}
		o.Sites = map[string]string{}
		for _, r := range recs {
			for _, m := range r.GetMembers() {
				site := m.GetSite()
				if site == "" {
					site = m.GetCluster()
				}
				o.Sites[m.GetAddress()] = site
			}
		}
	}
	if _, err := gslbctl.Watch(ctx, o, out); err != nil {
		return 1, err
	}
	return 0, nil
}

func table(ctx context.Context, args []string, out io.Writer) (int, error) {
	fs := flag.NewFlagSet("table", flag.ContinueOnError)
	format := fs.String("o", "text", "output: text or json")
	var api apiFlags
	api.register(fs)
	fs.StringVar(&api.addr, "server", "", "the same as --api")
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	if api.addr == "" {
		return 2, errors.New("table: --api is required")
	}
	st, recs, err := api.dump(ctx)
	if err != nil {
		return 1, fmt.Errorf("reading the table from %s: %v", api.addr, err)
	}
	return 0, gslbctl.PrintTable(out, st, recs, *format, time.Now())
}

func dnssecKey(args []string, out io.Writer) (int, error) {
	fs := flag.NewFlagSet("dnssec-key", flag.ContinueOnError)
	dir := fs.String("dir", ".", "directory of the key files")
	name := fs.String("name", "csk", "base name of the key files (the Corefile's `key file DIR/NAME`)")
	zone, err := parse(fs, args)
	if err != nil {
		return 2, err
	}
	ds, err := gslbctl.DNSSECKey(zone, *dir, *name)
	if err != nil {
		return 1, err
	}
	fmt.Fprintln(out, ds.String())
	return 0, nil
}
