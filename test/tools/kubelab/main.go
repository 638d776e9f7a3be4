// Command kubelab runs the Kubernetes scenario on loopback, for `make lab`
// (this file is its command line and the lab's start-up; banner.go prints
// the commands the lab offers, gateway.go is s2's Gateway API):
//
//	go run ./test/tools/kubelab up   [-dir DIR] [-bin BIN]          # make lab
//	go run ./test/tools/kubelab down [-dir DIR]                     # make lab-down
//	go run ./test/tools/kubelab site stop|start NAME [-dir DIR]     # one demo site
//	go run ./test/tools/kubelab endpoints NAME READY [NOTREADY] [-dir DIR]
//	go run ./test/tools/kubelab route s2 detach|attach [-dir DIR]   # s2's HTTPRoute
//	go run ./test/tools/kubelab clusters [-dir DIR] NAME...         # apiservers only
//
// up starts one etcd and three kube-apiservers (s1az1, s1az2, s2; see
// test/k8senv) and the three demo sites (BIN/demosite on 127.0.0.11, .12 and
// .13 port 8000, each page saying which site served it), installs the CRDs
// and the syncer's ClusterRoles (bound to the lab's non-admin user), creates
// the scenario (hello Service and Ingress labelled app: gslb in s1az1 and
// s1az2, with the load balancer status a cloud controller would write:
// 127.0.0.11/.12; in s2 a Gateway with status address 127.0.0.13 and an
// HTTPRoute labelled app: gslb, the Gateway API CRDs being installed in
// every cluster; the EndpointSlice of each hello Service, as the endpoint
// controller would write it: 3 ready endpoints; the 6:4:2 policy, whose
// health check probes the demo sites: HTTP GET / on port 8000 every
// second), then starts
// BIN/coredns-gslb on 127.0.0.1:1053 and BIN/gslb-syncer with the non-admin
// kubeconfig. Everything keeps running after up returns.
//
// site stop NAME stops the demo site of cluster NAME, so that its member
// leaves the answers once the probes fail; site start NAME starts it again.
// endpoints NAME READY [NOTREADY] sets hello's EndpointSlice in cluster NAME
// to READY ready (and NOTREADY not-ready) endpoints: with 0 ready, the
// cluster's member leaves the answers. In s2 it is the HTTPRoute's backend.
// route s2 detach empties the HTTPRoute's parentRefs, so that s2's member
// leaves the answers; route s2 attach attaches it to its Gateway again.
//
// clusters NAME... starts only etcd and one kube-apiserver per NAME (any
// names), without the scenario or any gslb process, and prints the admin
// kubeconfig's path: a bare lab of real apiservers; down stops it.
//
// down stops exactly the processes up and site start recorded (pid and
// executable checked): the syncer, coredns, the sites, then the apiservers
// and etcd.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"
	"github.com/gslbdns/gslb/test/internal/testhost"
	"github.com/gslbdns/gslb/test/k8senv"
	"github.com/gslbdns/gslb/test/kubescenario"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

const corefile = `avi.iberia.local:1053 {
    bind 127.0.0.1
    gslb {
        soa g-dns.iberia.local. hostmaster.iberia.local. refresh 10800 retry 3600 expire 86400 minimum 30
        ns g-dns.iberia.local. 127.0.0.1
        ttl 30
        listen unix://%s
    }
    errors
    log
}
`

const usage = `usage:
  kubelab up [-dir DIR] [-bin BIN]                      start the lab (make lab)
  kubelab down [-dir DIR]                               stop it (make lab-down)
  kubelab site stop|start NAME [-dir DIR] [-bin BIN]    stop or start the demo site of cluster NAME
  kubelab endpoints NAME READY [NOTREADY] [-dir DIR]    set hello's EndpointSlice in cluster NAME
  kubelab route s2 detach|attach [-dir DIR]             detach s2's HTTPRoute hello from its Gateway, or attach it again
  kubelab clusters [-dir DIR] NAME...                   start bare kube-apiservers only (any names); stop with down
NAME is s1az1, s1az2 or s2 (but for clusters); DIR is /tmp/gslb-lab by default`

const defaultDir = "/tmp/gslb-lab"

// The lab policy's health check: a stopped site leaves the answers after
// fall × interval (3 s), and comes back after rise good probes (2 s).
var healthCheck = v1alpha1.HealthCheck{
	Type:     v1alpha1.HealthCheckHTTP,
	Port:     kubescenario.SitePort,
	Path:     "/",
	Interval: &metav1.Duration{Duration: time.Second},
	Timeout:  &metav1.Duration{Duration: 500 * time.Millisecond},
	Rise:     2,
	Fall:     3,
}

// The recorded processes, in the order down stops them: the syncer first, so
// that it does not complain about a vanished server.
var procNames = append([]string{"syncer", "coredns"}, siteProcs()...)

func siteProcs() []string {
	var names []string
	for _, m := range kubescenario.Members {
		names = append(names, siteProc(m))
	}
	return names
}

func siteProc(cluster string) string { return "site-" + cluster }

// binFile, in the lab directory, records the -bin of up for site start.
const binFile = "kubelab.bin"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "kubelab: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 || !slices.Contains([]string{"up", "down", "site", "endpoints", "route", "clusters"}, args[0]) {
		return errors.New(usage)
	}
	cmd := args[0]
	fset := flag.NewFlagSet("kubelab "+cmd, flag.ContinueOnError)
	fset.Usage = func() { fmt.Fprintln(fset.Output(), usage) }
	dir := fset.String("dir", defaultDir, "lab directory (kubeconfigs, logs, state)")
	bin := new(string)
	switch cmd {
	case "up":
		bin = fset.String("bin", "bin", "directory holding coredns-gslb, gslb-syncer and demosite")
	case "site":
		bin = fset.String("bin", "", "directory holding demosite (default: up's)")
	}
	pos, err := parseArgs(fset, args[1:])
	if err != nil {
		return err
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		return err
	}
	if *bin != "" {
		if *bin, err = filepath.Abs(*bin); err != nil {
			return err
		}
	}
	switch cmd {
	case "up":
		if len(pos) != 0 {
			return errors.New(usage)
		}
		return up(abs, *bin)
	case "down":
		if len(pos) != 0 {
			return errors.New(usage)
		}
		return down(abs)
	case "clusters":
		if len(pos) == 0 {
			return errors.New(usage)
		}
		return clusters(abs, pos)
	case "route":
		if err := routeArgs(pos); err != nil {
			return err
		}
		return route(abs, pos[0], pos[1])
	case "site":
		if len(pos) != 2 || (pos[0] != "stop" && pos[0] != "start") || !slices.Contains(kubescenario.Members, pos[1]) {
			return errors.New(usage)
		}
		if pos[0] == "stop" {
			return siteStop(abs, pos[1])
		}
		return siteStart(abs, *bin, pos[1])
	default: // endpoints
		if len(pos) < 2 || len(pos) > 3 || !slices.Contains(kubescenario.Members, pos[0]) {
			return errors.New(usage)
		}
		n := []int{0, 0}
		for i, a := range pos[1:] {
			if n[i], err = strconv.Atoi(a); err != nil || n[i] < 0 {
				return fmt.Errorf("%q: not a number of endpoints\n%s", a, usage)
			}
		}
		return endpoints(abs, pos[0], n[0], n[1])
	}
}

// parseArgs parses the flags wherever they are among the positional
// arguments ("site stop s2 -dir D" as well as "-dir D site stop s2") and
// returns the positional ones.
func parseArgs(fset *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fset.Parse(args); err != nil {
			return nil, err
		}
		args = fset.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func up(dir, bin string) error {
	for _, b := range []string{"coredns-gslb", "gslb-syncer", "demosite"} {
		if _, err := os.Stat(filepath.Join(bin, b)); err != nil {
			return fmt.Errorf("%v: run `make build` first", err)
		}
	}
	// StartLab refuses a directory whose apiservers run, and empties one
	// whose lab is stopped: the pid files of processes that still run must
	// not go with it.
	if live := running(dir); len(live) > 0 {
		return fmt.Errorf("a lab is running in %s (%s): stop it first (make lab-down)", dir, strings.Join(live, ", "))
	}
	env, err := k8senv.StartLab(dir, kubescenario.Members...)
	if err != nil {
		return err
	}
	fail := func(err error) error {
		_ = stopProcs(dir)
		return errors.Join(err, env.Close())
	}
	if err := os.WriteFile(filepath.Join(dir, binFile), []byte(bin+"\n"), 0o644); err != nil {
		return fail(err)
	}
	// The sites first, so that the syncer's first probes find them up.
	for _, m := range kubescenario.Members {
		if err := startSite(dir, bin, m); err != nil {
			return fail(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfgs := map[string]*rest.Config{}
	for _, c := range env.Clusters {
		cfgs[c.Name] = c.Config()
	}
	root, err := testhost.RepoRoot()
	if err != nil {
		return fail(err)
	}
	hc := healthCheck
	opts := kubescenario.InstallOptions{HealthCheck: &hc, Gateway: []string{gatewayCluster}}
	if err := kubescenario.InstallWith(ctx, root, k8senv.NonAdmin.Name(), cfgs["s1az1"], cfgs, opts); err != nil {
		return fail(fmt.Errorf("installing the scenario: %v", err))
	}
	sock := filepath.Join(dir, "gslb.sock")
	cf := filepath.Join(dir, "Corefile")
	if err := os.WriteFile(cf, fmt.Appendf(nil, corefile, sock), 0o644); err != nil {
		return fail(err)
	}
	if err := startProc(dir, "coredns", filepath.Join(bin, "coredns-gslb"), "-conf", cf); err != nil {
		return fail(err)
	}
	kcfg := k8senv.LabKubeconfig(dir, k8senv.NonAdmin)
	spec := "kubernetes:" + kcfg + "?members=s1az1,s1az2,s2&config=s1az1&grace=30s&zones=avi.iberia.local&lease=gslb/gslb-syncer"
	for range 50 { // the socket appears once CoreDNS is up
		if _, err := os.Stat(sock); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := startProc(dir, "syncer", filepath.Join(bin, "gslb-syncer"), "--source", spec, "--push", "unix://"+sock, "--metrics", "127.0.0.1:9154"); err != nil {
		return fail(err)
	}
	printBanner(dir, kcfg)
	return nil
}

// startSite starts the demo site of cluster m and waits until it listens.
func startSite(dir, bin, m string) error {
	addr := net.JoinHostPort(kubescenario.LBAddress[m], strconv.Itoa(kubescenario.SitePort))
	if err := startProc(dir, siteProc(m), filepath.Join(bin, "demosite"), "--listen", addr, "--message", kubescenario.SiteMessage[m]); err != nil {
		return err
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			return c.Close()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("site %s not listening on %s: %v", m, addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func siteStart(dir, bin, m string) error {
	if !isLab(dir) {
		return fmt.Errorf("no lab in %s (make lab)", dir)
	}
	if d, err := readPid(dir, siteProc(m)); err == nil && d.Alive() {
		return fmt.Errorf("site %s is running already (pid %d)", m, d.Pid)
	}
	if bin == "" {
		b, err := os.ReadFile(filepath.Join(dir, binFile))
		if err != nil {
			return fmt.Errorf("%v: give -bin", err)
		}
		bin = strings.TrimSpace(string(b))
	}
	if err := startSite(dir, bin, m); err != nil {
		return err
	}
	d, _ := readPid(dir, siteProc(m))
	fmt.Printf("kubelab: site %s started on %s:%d (pid %d): %s returns to the answers after %d good probes\n",
		m, kubescenario.LBAddress[m], kubescenario.SitePort, d.Pid, kubescenario.LBAddress[m], healthCheck.Rise)
	return nil
}

func siteStop(dir, m string) error {
	d, err := readPid(dir, siteProc(m))
	if errors.Is(err, fs.ErrNotExist) || (err == nil && !d.Alive()) {
		_ = os.Remove(pidFile(dir, siteProc(m)))
		return fmt.Errorf("site %s is not running (in %s)", m, dir)
	}
	if err != nil {
		return err
	}
	if err := stopProc(dir, siteProc(m)); err != nil {
		return err
	}
	fmt.Printf("kubelab: site %s stopped (pid %d): %s leaves the answers after %d failed probes\n",
		m, d.Pid, kubescenario.LBAddress[m], healthCheck.Fall)
	return nil
}

// endpoints sets the EndpointSlice of hello in cluster m, as the admin.
func endpoints(dir, m string, ready, notReady int) error {
	if !isLab(dir) {
		return fmt.Errorf("no lab in %s (make lab)", dir)
	}
	cfg, err := k8senv.LabConfig(dir, k8senv.Admin, m)
	if err != nil {
		return err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := kubescenario.SetReady(ctx, cs, kubescenario.AppNS, "hello", ready, notReady); err != nil {
		return err
	}
	what := kubescenario.LBAddress[m] + " is served (while its site passes the probes)"
	if ready == 0 {
		what = kubescenario.LBAddress[m] + " leaves the answers"
	}
	fmt.Printf("kubelab: hello in %s has %d ready and %d not-ready endpoints (EndpointSlice %s/%s%s): %s\n",
		m, ready, notReady, kubescenario.AppNS, kubescenario.EndpointSliceName("hello"), backendNote(m), what)
	return nil
}

func isLab(dir string) bool {
	_, err := os.Stat(k8senv.LabKubeconfig(dir, k8senv.Admin))
	return err == nil
}

func down(dir string) error {
	err := stopProcs(dir)
	if e := k8senv.Stop(dir); e != nil && !errors.Is(e, fs.ErrNotExist) {
		err = errors.Join(err, e)
	}
	fmt.Fprintf(os.Stderr, "kubelab: stopped the lab in %s\n", dir)
	return err
}
