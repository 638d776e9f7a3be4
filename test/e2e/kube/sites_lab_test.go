package kube

import (
	"context"
	"fmt"
	"maps"
	"net"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/test/e2e/harness"
	"github.com/gslbdns/gslb/test/k8senv"
	"github.com/gslbdns/gslb/test/kubescenario"

	"github.com/miekg/dns"
)

// The multi-site deployment of issue 12, on loopback: site A runs
// coredns-gslb + gslb-syncer on two DNS nodes (a DaemonSet on two nodes),
// site B on one. Each coredns-gslb listens on port 53 of its node's address
// in a private network namespace, where BIND 9 (the company DNS, on
// 127.0.0.1) delegates avi.iberia.local to both sites' name servers, with
// glue. The syncers run outside the namespace (they reach the apiservers
// and the demo sites on the host's loopback) and push over unix sockets.
// Every syncer runs the status-writer election (lease=).
const (
	parentIP     = "127.0.0.1"
	sitesZone    = kubescenario.Zone + "."
	parentZone   = "iberia.local."
	healthPeriod = time.Second // the health check's interval
	healthFall   = 3
)

// nodeSpecs are the DNS nodes: name (the syncer's identity), site, address.
var nodeSpecs = []struct{ name, site, ip string }{
	{"a1", "a", "127.0.0.2"},
	{"a2", "a", "127.0.0.3"},
	{"b1", "b", "127.0.0.4"},
}

// sitesLab is the clusters, the demo sites, BIND and the DNS nodes.
type sitesLab struct {
	*lab     // the clusters and the policy; its c, s and dns are unused (nil)
	ns       *harness.NetNS
	dir      string
	named    *harness.Process
	resolver *harness.Client // a stub behind BIND: RD=1
	demo     *probedSites
	nodes    map[string]*dnsNode
}

// dnsNode is one DNS node of a site: coredns-gslb on ip:53 in the namespace
// and its gslb-syncer.
type dnsNode struct {
	name, site, ip string
	dns            *harness.Process
	sock           string
	syncer         *harness.Syncer
	args           []string // the syncer's command line
	client         *harness.Client
	table          gslbv1.TableClient
}

// startSitesLab starts the clusters, the counting demo sites (the policy's
// health check probes them), and BIND delegating to both sites. No DNS
// node runs yet: startNode starts them.
func startSitesLab(tb testing.TB) *sitesLab {
	tb.Helper()
	named, _ := harness.EnsureBIND(tb)
	if !harness.CanNetNS() {
		tb.Fatalf("the multi-site lab needs root: BIND reaches the sites through a real delegation, on port 53 of their addresses, in a private network namespace")
	}
	l := &sitesLab{lab: startClusters(tb), ns: harness.NewNetNS(tb), dir: tb.TempDir(), nodes: map[string]*dnsNode{}}
	if err := l.env.WriteKubeconfig(l.kcfg, k8senv.NonAdmin); err != nil {
		tb.Fatal(err)
	}
	l.demo = startProbedSites(tb)
	l.patchPolicy(tb, kubescenario.GDPName, fmt.Sprintf(`{"spec":{"healthCheck":{"type":"HTTP","port":%d,"path":"/","interval":"%s","timeout":"800ms","rise":2,"fall":%d}}}`,
		l.demo.port, healthPeriod, healthFall))
	l.writeParent()
	l.named = harness.StartNamed(tb, l.ns, named, "named", l.dir, filepath.Join(l.dir, "named.conf"))
	harness.WaitAuthoritative(tb, l.ns, l.named, net.JoinHostPort(parentIP, "53"), parentZone)
	l.resolver = l.ns.Dial(tb, net.JoinHostPort(parentIP, "53"), "udp")
	l.resolver.Recursive = true
	return l
}

// writeParent writes BIND's configuration: authoritative for iberia.local,
// which delegates avi to g-dns-a (site A's two nodes) and g-dns-b (site
// B's), recursive for localhost. No DNSSEC: a private name, no root.
func (l *sitesLab) writeParent() {
	options := harness.NamedOptions(l.dir, parentIP, "recursion yes;", "allow-recursion { localhost; };", "allow-query { localhost; };", "dnssec-validation no;")
	harness.WriteFile(l.t, filepath.Join(l.dir, "named.conf"), options+`controls { };
zone "iberia.local" { type primary; file "db.iberia.local"; };
`)
	z := fmt.Sprintf("$TTL 300\n@ IN SOA dc1.iberia.local. hostmaster.iberia.local. 1 3600 600 86400 60\n@ IN NS dc1.iberia.local.\ndc1 IN A %s\n", parentIP)
	for _, n := range nodeSpecs {
		z += fmt.Sprintf("g-dns-%s IN A %s\n", n.site, n.ip)
	}
	z += "avi IN NS g-dns-a.iberia.local.\navi IN NS g-dns-b.iberia.local.\n"
	harness.WriteFile(l.t, filepath.Join(l.dir, "db.iberia.local"), z)
}

// corefile is a DNS node's: the apex NS are both sites' with their glue.
func (l *sitesLab) corefile(site, ip, sock string) string {
	var glue [2][]string
	for _, n := range nodeSpecs {
		i := strings.Index("ab", n.site)
		glue[i] = append(glue[i], n.ip)
	}
	return fmt.Sprintf(`avi.iberia.local:53 {
    bind %s
    gslb {
        soa g-dns-%s.iberia.local. hostmaster.iberia.local. minimum 4
        ns g-dns-a.iberia.local. %s
        ns g-dns-b.iberia.local. %s
        listen unix://%s
    }
    gslbmetrics %s:9153
}
`, ip, site, strings.Join(glue[0], " "), strings.Join(glue[1], " "), sock, ip)
}

// startNode starts the DNS node name (of nodeSpecs): coredns-gslb, then its
// syncer, and waits until the syncer's first table is served.
func (l *sitesLab) startNode(tb testing.TB, name string) *dnsNode {
	tb.Helper()
	n := &dnsNode{name: name, sock: filepath.Join(harness.SocketDir(tb), "gslb.sock")}
	for _, s := range nodeSpecs {
		if s.name == name {
			n.site, n.ip = s.site, s.ip
		}
	}
	corefile := filepath.Join(l.dir, "Corefile-"+name)
	harness.WriteFile(tb, corefile, l.corefile(n.site, n.ip, n.sock))
	n.dns = harness.StartProcess(tb, harness.Cmd{Name: "coredns-gslb-" + name, Path: harness.Bin(tb, "coredns-gslb"),
		Dir: l.dir, NetNS: l.ns, Args: []string{"-conf", corefile}})
	harness.WaitAuthoritative(tb, l.ns, n.dns, net.JoinHostPort(n.ip, "53"), sitesZone)
	n.client = l.ns.Dial(tb, net.JoinHostPort(n.ip, "53"), "udp")
	n.table = harness.TableClient(tb, n.sock)
	// Each site's syncers elect their probe leader on the site's own Lease
	// (shared probes): one site's probes per member per interval.
	spec := fmt.Sprintf("kubernetes:%s?members=s1az1,s1az2,s2&config=s1az1&grace=10m&startwait=5s&zones=avi.iberia.local%s&probe-lease=%s/gslb-probes-%s",
		l.kcfg, leaseSpec(name), kubescenario.PolicyNS, n.site)
	n.args = []string{"--source", spec, "--push", "unix://" + n.sock, "--health-listen", "127.0.0.1:0"}
	n.syncer = harness.StartSyncer(tb, n.args...)
	harness.Eventually(tb, wait, func() error {
		if v, err := n.version(); err != nil || v == 0 {
			return fmt.Errorf("%s: no table yet (version %d, %v)", name, v, err)
		}
		return nil
	})
	l.nodes[name] = n
	return n
}

// version is the plugin's table version.
func (n *dnsNode) version() (uint32, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := n.table.Status(ctx, &gslbv1.StatusRequest{})
	return st.GetVersion(), err
}

// restartSyncer stops the node's syncer (SIGTERM) and starts a new one.
func (n *dnsNode) restartSyncer(tb testing.TB) {
	tb.Helper()
	n.syncer.Stop()
	n.syncer = harness.StartSyncer(tb, n.args...)
}

// round asks the node for hello 12 times (one WRR cycle) and counts the
// answers per address; any answer but NOERROR with one A is an error.
func (n *dnsNode) round() (map[string]int, error) {
	counts := map[string]int{}
	for range 12 {
		r, err := n.client.Exchange(hello, dns.TypeA)
		if err != nil {
			return nil, err
		}
		ip, _, err := harness.OneA(r)
		if err != nil {
			return nil, fmt.Errorf("node %s: %v", n.name, err)
		}
		counts[ip.String()]++
	}
	return counts, nil
}

// waitServes waits until a round of every node answers exactly the
// addresses want (comma-separated, sorted).
func (l *sitesLab) waitServes(tb testing.TB, want string) {
	tb.Helper()
	for _, n := range l.nodes {
		harness.Eventually(tb, wait, func() error {
			c, err := n.round()
			if err != nil {
				return err
			}
			if got := keys(c); got != want {
				return fmt.Errorf("node %s answers %s, want %s", n.name, got, want)
			}
			return nil
		})
	}
}

// probedSites are the demo sites (siteServers) counting the probes they
// receive: every probe opens a new connection.
type probedSites struct {
	*siteServers
	probes map[string]*atomic.Int64
}

func startProbedSites(tb testing.TB) *probedSites {
	tb.Helper()
	p := &probedSites{siteServers: startSites(tb), probes: map[string]*atomic.Int64{}}
	for _, addr := range kubescenario.LBAddress {
		p.probes[addr] = new(atomic.Int64)
		p.stop(addr)
		// The server just closed may not have released its listener yet.
		harness.Eventually(tb, wait, func() error { return p.start(addr) })
	}
	return p
}

// start serves addr again, counting.
func (p *probedSites) start(addr string) error {
	ln, err := net.Listen("tcp", fmt.Sprintf("%s:%d", addr, p.port))
	if err != nil {
		return err
	}
	p.serve(addr, countingListener{ln, p.probes[addr]})
	return nil
}

type countingListener struct {
	net.Listener
	n *atomic.Int64
}

func (c countingListener) Accept() (net.Conn, error) {
	conn, err := c.Listener.Accept()
	if err == nil {
		c.n.Add(1)
	}
	return conn, err
}

// count returns the probes each site received so far.
func (p *probedSites) count() map[string]int64 {
	c := map[string]int64{}
	for a, n := range p.probes {
		c[a] = n.Load()
	}
	return c
}

// perInterval is the mean over the sites addrs of the probes each received
// per health-check period between the counts before and after, d apart.
func perInterval(before, after map[string]int64, addrs []string, d time.Duration) float64 {
	var sum int64
	for _, a := range addrs {
		sum += after[a] - before[a]
	}
	return float64(sum) / float64(len(addrs)) / (float64(d) / float64(healthPeriod))
}

// probesPerInterval counts the probes each demo site receives over
// intervals health-check periods, and returns the mean per period over the
// sites. It measures a rate: the wait is its window.
func (p *probedSites) probesPerInterval(intervals int) float64 {
	before := p.count()
	d := time.Duration(intervals) * healthPeriod
	<-time.After(d)
	return perInterval(before, p.count(), slices.Collect(maps.Keys(p.probes)), d)
}

// wantProbesPerInterval is how many probes a member gets per health-check
// period with these DNS nodes: one per site, whatever the number of nodes
// in it (each site's probe leader probes from the site's vantage point and
// shares the decisions with the site's other syncers).
func wantProbesPerInterval(nodes map[string]*dnsNode) float64 {
	sites := map[string]bool{}
	for _, n := range nodes {
		sites[n.site] = true
	}
	return float64(len(sites))
}

// resolves asks BIND for hello until n answers in a row resolve it (one
// A, a member's address); the queries are 100 ms apart, so that n > 20
// spans more than BIND's cache time (hello's TTL, 2 s).
func (l *sitesLab) resolves(tb testing.TB, n int) {
	tb.Helper()
	ok := 0
	harness.Eventually(tb, wait, func() error {
		r, err := l.resolver.Exchange(hello, dns.TypeA)
		if err == nil {
			err = resolvedMember(r)
		}
		if err != nil {
			ok = 0
			return err
		}
		if ok++; ok < n {
			<-time.After(100 * time.Millisecond) // the pace of the client
			return fmt.Errorf("%d answers in a row", ok)
		}
		return nil
	})
}

// resolvedMember checks an answer through BIND: NOERROR, RA, one A with a
// member's address.
func resolvedMember(r *dns.Msg) error {
	if r.Rcode != dns.RcodeSuccess || !r.RecursionAvailable || len(r.Answer) != 1 {
		return fmt.Errorf("hello through BIND: %s, want NOERROR, ra, one A", harness.Brief(r))
	}
	a, ok := r.Answer[0].(*dns.A)
	if !ok || !slices.Contains([]string{"127.0.0.11", "127.0.0.12", "127.0.0.13"}, a.A.String()) {
		return fmt.Errorf("hello through BIND: %s, want a member's address", harness.Brief(r))
	}
	return nil
}

var answersRE = regexp.MustCompile(`(?m)^coredns_gslb_answers_total\{[^}]*fqdn="hello\.avi\.iberia\.local\."[^}]*\} (\S+)$`)

// answersOf sums the node's coredns_gslb_answers_total for hello.
func (l *sitesLab) answersOf(tb testing.TB, n *dnsNode) int {
	tb.Helper()
	code, body, err := l.ns.HTTPGet("http://" + net.JoinHostPort(n.ip, "9153") + "/metrics")
	if err != nil || code != 200 {
		tb.Fatalf("node %s's metrics: %d %v", n.name, code, err)
	}
	sum := 0
	for _, m := range answersRE.FindAllStringSubmatch(body, -1) {
		v, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			tb.Fatal(err)
		}
		sum += int(v)
	}
	return sum
}
