package e2e

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gslbdns/gslb/test/e2e/harness"
	"github.com/gslbdns/gslb/test/geodb"

	"github.com/miekg/dns"
)

// Routing by who asks, end to end: a real Unbound resolver sends EDNS Client
// Subnet (send-client-subnet) to coredns-gslb; two clients on two loopback
// addresses, mapped to two sites by the topology map, each get their own
// site's member; when a site's demo server stops, its clients fail over.

// routingClients are the two clients' addresses, one per site's network.
var routingClients = [2]string{"127.100.1.10", "127.100.2.10"}

// routingMembers writes the members file: one demosite per site, probed.
func routingMembers(ips []string, port int, algorithm string) string {
	return fmt.Sprintf(`sites:
  SITE1: {clients: [127.100.1.0/24]}
  SITE2: {clients: [127.100.2.0/24]}
defaults:
  healthCheck: {type: http, port: %d, interval: 200ms, timeout: 150ms, fall: 2, rise: 1, bodyContains: resides}
records:
  - fqdn: hello.avi.iberia.local
    ttl: 1
    algorithm: %s
    siteOrder: [SITE1, SITE2]
    members:
      - {cluster: s1az1, site: SITE1, address: %s}
      - {cluster: s2, site: SITE2, address: %s}
`, port, algorithm, ips[0], ips[1])
}

// ensureUnbound returns the path of unbound, installing Debian's package
// through test/tools/ensure-deb.sh when it is missing. Never skips.
func ensureUnbound(t *testing.T) string {
	t.Helper()
	find := func() string {
		if p, err := exec.LookPath("unbound"); err == nil {
			return p
		}
		if fi, err := os.Stat("/usr/sbin/unbound"); err == nil && fi.Mode()&0o111 != 0 {
			return "/usr/sbin/unbound"
		}
		return ""
	}
	if p := find(); p != "" {
		return p
	}
	script := filepath.Join(harness.RepoRoot(t), "test", "tools", "ensure-deb.sh")
	if out, err := exec.Command(script, "unbound", "unbound").CombinedOutput(); err != nil {
		t.Fatalf("unbound is missing and `%s unbound unbound` failed: %v\n%s", script, err, out)
	}
	p := find()
	if p == "" {
		t.Fatal("unbound installed but not found on PATH or in /usr/sbin")
	}
	return p
}

// startUnbound runs unbound in the foreground on 127.0.0.1:port, resolving
// the zone through coredns-gslb (a stub zone) with ECS sent to it.
func startUnbound(t *testing.T, gslb string) (addr string) {
	t.Helper()
	bin := ensureUnbound(t)
	dir := t.TempDir()
	host, gport, _ := net.SplitHostPort(gslb)
	for attempt := 1; ; attempt++ {
		port := harness.FreePort(t)
		conf := filepath.Join(dir, "unbound.conf")
		harness.WriteFile(t, conf, fmt.Sprintf(`server:
  interface: 127.0.0.1
  port: %d
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "%s"
  pidfile: ""
  use-syslog: no
  logfile: ""
  verbosity: 1
  do-ip6: no
  access-control: 127.0.0.0/8 allow
  do-not-query-localhost: no
  module-config: "subnetcache iterator"
  send-client-subnet: %s
  max-client-subnet-ipv4: 24
  num-threads: 1
  cache-min-ttl: 0
stub-zone:
  name: "avi.iberia.local"
  stub-addr: %s@%s
`, port, dir, host, host, gport))
		p := harness.StartProcess(t, harness.Cmd{Name: "unbound", Path: bin, Args: []string{"-d", "-c", conf}, Dir: dir})
		addr = fmt.Sprintf("127.0.0.1:%d", port)
		err := harness.Within(20*time.Second, func() error {
			if p.Exited() {
				return harness.Permanent(fmt.Errorf("unbound exited: %s", p.Tail(20)))
			}
			m := harness.NewQuery(zone, dns.TypeSOA)
			m.RecursionDesired = true
			r, err := dns.Exchange(m, addr)
			if err == nil && r.Rcode != dns.RcodeSuccess {
				err = fmt.Errorf("SOA %s: %s", zone, dns.RcodeToString[r.Rcode])
			}
			return err
		})
		if err == nil {
			return addr
		}
		if attempt < 3 && strings.Contains(p.Log()+p.Stderr(), "address already in use") {
			continue
		}
		t.Fatalf("unbound did not start: %v\n%s", err, p.Tail(40))
	}
}

// queryFrom asks addr for hello from a client address and returns the one
// A of the answer ("" when there is none).
func queryFrom(client, addr string) (string, error) {
	c := &dns.Client{Net: "udp", Timeout: 2 * time.Second,
		Dialer: &net.Dialer{LocalAddr: &net.UDPAddr{IP: net.ParseIP(client)}}}
	m := harness.NewQuery(hello, dns.TypeA)
	m.RecursionDesired = true // a resolver refuses what it would not recurse for
	r, _, err := c.Exchange(m, addr)
	if err != nil {
		return "", err
	}
	if r.Rcode != dns.RcodeSuccess {
		return "", fmt.Errorf("rcode %s", dns.RcodeToString[r.Rcode])
	}
	if len(r.Answer) == 1 {
		if a, ok := r.Answer[0].(*dns.A); ok { // a resolver's answer: not AA
			return a.A.String(), nil
		}
	}
	return "", fmt.Errorf("want one A: %s", harness.Brief(r))
}

// expectFrom waits until every one of n queries from client gets want.
func expectFrom(t *testing.T, timeout time.Duration, client, addr, want string) {
	t.Helper()
	harness.Eventually(t, timeout, func() error {
		for i := range 10 {
			got, err := queryFrom(client, addr)
			if err != nil {
				return err
			}
			if got != want {
				return fmt.Errorf("query %d from %s: %s, want %s", i+1, client, got, want)
			}
		}
		return nil
	})
}

func TestTopologyThroughUnbound(t *testing.T) {
	t.Parallel()
	ips := siteIPs(2)
	port := harness.FreePort(t)
	demo := harness.Bin(t, "demosite")
	var sites [2]*harness.Process
	for i, name := range []string{"SITE1", "SITE2"} {
		sites[i] = harness.StartProcess(t, harness.Cmd{Name: "demosite-" + name, Path: demo,
			Args: []string{"--listen", fmt.Sprintf("%s:%d", ips[i], port), "--message", "This service resides in " + name}})
	}
	st := healthStack(t, routingMembers(ips, port, "topology"))
	resolver := startUnbound(t, st.c.HostPort("dns"))

	// Each client gets its own site's member, through the resolver's ECS.
	expectFrom(t, waitTimeout, routingClients[0], resolver, ips[0])
	expectFrom(t, waitTimeout, routingClients[1], resolver, ips[1])

	// gslbctl explain says why.
	out := gslbctlOut(t, "explain", "hello.avi.iberia.local", "--client", routingClients[1], "--server", "unix://"+st.c.Sock)
	for _, want := range []string{"algorithm: topology", "site:      SITE2", "is in 127.100.2.0/24, which the topology map gives to SITE2",
		"answer: " + ips[1], "from:      file " + st.yaml} {
		if !strings.Contains(out, want) {
			t.Errorf("explain lacks %q:\n%s", want, out)
		}
	}

	// gslbctl split --subnet measures what SITE2's network gets.
	out = gslbctlOut(t, "split", "hello.avi.iberia.local", "--server", st.c.HostPort("dns"), "--subnet", "127.100.2.0/24",
		"--api", "unix://"+st.c.Sock, "-n", "200", "--qps", "0")
	if !strings.Contains(out, "200 queries, 200 answered") || !strings.Contains(out, "consistent with the configured weights") ||
		strings.Contains(out, ips[0]) {
		t.Errorf("split --subnet 127.100.2.0/24:\n%s", out)
	}

	// SITE2's demo server stops: its clients fail over to SITE1 (the site
	// order); SITE1's clients never notice.
	sites[1].Stop()
	start := time.Now()
	expectFrom(t, waitTimeout, routingClients[1], resolver, ips[0])
	t.Logf("SITE2's clients on SITE1 %v after its demo server stopped", time.Since(start).Round(time.Millisecond))
	expectFrom(t, 5*time.Second, routingClients[0], resolver, ips[0])
	out = gslbctlOut(t, "explain", "hello.avi.iberia.local", "--client", routingClients[1], "--server", "unix://"+st.c.Sock)
	if !strings.Contains(out, "which has no healthy member; site order: SITE1") {
		t.Errorf("explain after the failover:\n%s", out)
	}

	// Back when it is.
	sites[1] = harness.StartProcess(t, harness.Cmd{Name: "demosite-SITE2-again", Path: demo,
		Args: []string{"--listen", fmt.Sprintf("%s:%d", ips[1], port), "--message", "This service resides in SITE2"}})
	expectFrom(t, waitTimeout, routingClients[1], resolver, ips[1])
}

// TestAlgorithmSwitchLive edits the members file from wrr to topology and
// back while both run: the split follows with no restart.
func TestAlgorithmSwitchLive(t *testing.T) {
	t.Parallel()
	ips := siteIPs(2)
	port := harness.FreePort(t)
	demo := harness.Bin(t, "demosite")
	for i, name := range []string{"SITE1", "SITE2"} {
		harness.StartProcess(t, harness.Cmd{Name: "demosite-" + name, Path: demo,
			Args: []string{"--listen", fmt.Sprintf("%s:%d", ips[i], port), "--message", "This service resides in " + name}})
	}
	st := healthStack(t, routingMembers(ips, port, "wrr"))
	direct := st.c.HostPort("dns")
	both := func() error { // wrr: one client sees both sites
		seen := map[string]bool{}
		for range 4 {
			got, err := queryFrom(routingClients[0], direct)
			if err != nil {
				return err
			}
			seen[got] = true
		}
		if !seen[ips[0]] || !seen[ips[1]] {
			return fmt.Errorf("wrr: %v, want both members", seen)
		}
		return nil
	}
	harness.Eventually(t, waitTimeout, both)
	harness.WriteFile(t, st.yaml, routingMembers(ips, port, "topology"))
	expectFrom(t, waitTimeout, routingClients[0], direct, ips[0]) // the source address decides
	expectFrom(t, waitTimeout, routingClients[1], direct, ips[1])
	harness.WriteFile(t, st.yaml, routingMembers(ips, port, "wrr"))
	harness.Eventually(t, waitTimeout, both)
	if st.s.Exited() || st.c.Exited() {
		t.Fatal("a process exited during the switch")
	}
}

// TestECSDirect asks coredns-gslb itself: the ECS option is echoed through
// CoreDNS with the scope the answer depended on, and malformed ECS gets
// FORMERR, whether the DNS library or the plugin refuses it.
func TestECSDirect(t *testing.T) {
	t.Parallel()
	ips := siteIPs(2)
	st := healthStack(t, fmt.Sprintf(`sites:
  SITE1: {clients: [127.100.1.0/24]}
  SITE2: {clients: [127.100.2.0/24]}
records:
  - fqdn: hello.avi.iberia.local
    algorithm: consistentHash
    members: [{address: %[1]s}, {address: %[2]s}]
  - fqdn: topo.avi.iberia.local
    algorithm: topology
    members: [{site: SITE1, address: %[1]s}, {site: SITE2, address: %[2]s}]
`, ips[0], ips[1]))
	addr := st.c.HostPort("dns")
	for _, tc := range []struct {
		name, subnet string
		scope        uint8
	}{
		{hello, "198.51.100.0/24", 24}, // consistent hash: the mask
		{hello, "198.51.0.0/16", 16},   // a shorter ECS prefix is hashed as is
		{"topo.avi.iberia.local.", "127.100.2.0/24", 24},
	} {
		m := harness.NewQuery(tc.name, dns.TypeA)
		m.SetEdns0(1232, false)
		m.IsEdns0().Option = append(m.IsEdns0().Option, ecsOption(tc.subnet))
		r, err := dns.Exchange(m, addr)
		if err != nil {
			t.Fatal(err)
		}
		e := ecsOf(r)
		if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 || e == nil || e.SourceScope != tc.scope {
			t.Errorf("%s with ECS %s: %s, ECS %v; want one answer, scope %d", tc.name, tc.subnet, harness.Brief(r), e, tc.scope)
		}
	}
	// gslbctl explain predicts the member each client prefix is hashed to.
	for i := range 10 {
		subnet := fmt.Sprintf("10.%d.%d.0/24", i*37%256, i*11%256)
		m := harness.NewQuery(hello, dns.TypeA)
		m.SetEdns0(1232, false)
		m.IsEdns0().Option = append(m.IsEdns0().Option, ecsOption(subnet))
		r, err := dns.Exchange(m, addr)
		if err != nil {
			t.Fatal(err)
		}
		out := gslbctlOut(t, "explain", "hello.avi.iberia.local", "--client", subnet, "--server", "unix://"+st.c.Sock)
		if got := answerOf(r); got == "" || !strings.Contains(out, "answer: "+got+"\n") {
			t.Errorf("ECS %s answered %s; explain says:\n%s", subnet, got, out)
		}
	}

	// Malformed: family 3 (the DNS library refuses to parse it) and a
	// scope prefix in a query (the plugin refuses it).
	for _, raw := range [][]byte{
		{0, 3, 24, 0, 198, 51, 100},
		{0, 1, 24, 24, 198, 51, 100},
	} {
		m := harness.NewQuery(hello, dns.TypeA)
		m.SetEdns0(1232, false)
		m.IsEdns0().Option = append(m.IsEdns0().Option, &dns.EDNS0_LOCAL{Code: dns.EDNS0SUBNET, Data: raw})
		r, err := dns.Exchange(m, addr)
		if err != nil {
			t.Fatal(err)
		}
		if r.Rcode != dns.RcodeFormatError || len(r.Answer) != 0 {
			t.Errorf("ECS % x: %s, want FORMERR", raw, harness.Brief(r))
		}
	}
}

func ecsOption(cidr string) *dns.EDNS0_SUBNET {
	_, n, _ := net.ParseCIDR(cidr)
	bits, _ := n.Mask.Size()
	return &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: 1, SourceNetmask: uint8(bits), Address: n.IP.To4()}
}

func ecsOf(r *dns.Msg) *dns.EDNS0_SUBNET {
	if o := r.IsEdns0(); o != nil {
		for _, e := range o.Option {
			if s, ok := e.(*dns.EDNS0_SUBNET); ok {
				return s
			}
		}
	}
	return nil
}

// gslbctlOut runs bin/gslbctl and fails the test on a non-zero exit.
func gslbctlOut(t *testing.T, args ...string) string {
	t.Helper()
	out, code := gslbctl(t, args...)
	if code != 0 {
		t.Fatalf("gslbctl %v exited %d:\n%s", args, code, out)
	}
	return out
}

// geoCorefile is the test server block with a GeoIP database, checked for
// changes every 200ms.
const geoCorefile = `avi.iberia.local:{{port "dns"}} {
    bind 127.0.0.1
    gslb {
        soa g-dns.iberia.local. hostmaster.iberia.local.
        listen unix://{{.Sock}}
        geoip {{.GeoIP}} 200ms
    }
    errors
}
`

// TestGeoThroughCoreDNS runs ALGORITHM_GEO in the real binary: a database
// written with mmdbwriter places two client networks in Madrid and Berlin;
// each gets its nearest site (SITE1 Madrid, SITE2 Frankfurt). The database
// file is replaced with the two swapped: the answers follow without a
// restart (the file is reloaded, never read per query).
func TestGeoThroughCoreDNS(t *testing.T) {
	t.Parallel()
	ips := siteIPs(2)
	dir := t.TempDir()
	db := filepath.Join(dir, "city.mmdb")
	madrid, berlin := geodb.Place{CIDR: "192.0.2.0/24", Lat: 40.42, Lon: -3.70, Located: true}, geodb.Place{CIDR: "198.51.100.0/24", Lat: 52.52, Lon: 13.40, Located: true}
	if err := geodb.Write(db, madrid, berlin); err != nil {
		t.Fatal(err)
	}
	yaml := filepath.Join(dir, "members.yaml")
	harness.WriteFile(t, yaml, fmt.Sprintf(`sites:
  SITE1: {location: {latitude: 40.4, longitude: -3.7}}
  SITE2: {location: {latitude: 50.1, longitude: 8.7}}
records:
  - fqdn: hello.avi.iberia.local
    algorithm: geo
    members: [{site: SITE1, address: %s}, {site: SITE2, address: %s}]
`, ips[0], ips[1]))
	c := harness.StartCoreDNS(t, geoCorefile, map[string]any{"GeoIP": db})
	harness.StartSyncer(t, "--source", "file:"+yaml, "--push", "unix://"+c.Sock)
	c.WaitLoaded(loadTimeout)
	addr := c.HostPort("dns")
	expect := func(subnet, want string) {
		t.Helper()
		harness.Eventually(t, waitTimeout, func() error {
			m := harness.NewQuery(hello, dns.TypeA)
			m.SetEdns0(1232, false)
			m.IsEdns0().Option = append(m.IsEdns0().Option, ecsOption(subnet))
			r, err := dns.Exchange(m, addr)
			if err != nil {
				return err
			}
			if got := answerOf(r); got != want || ecsOf(r) == nil || ecsOf(r).SourceScope != 24 {
				return fmt.Errorf("ECS %s: %s, want %s with scope 24", subnet, harness.Brief(r), want)
			}
			return nil
		})
	}
	expect(madrid.CIDR, ips[0])
	expect(berlin.CIDR, ips[1])

	madrid.CIDR, berlin.CIDR = berlin.CIDR, madrid.CIDR
	if err := geodb.Write(db, madrid, berlin); err != nil {
		t.Fatal(err)
	}
	expect("192.0.2.0/24", ips[1]) // now in Berlin
	expect("198.51.100.0/24", ips[0])
	if c.Exited() {
		t.Fatal("coredns-gslb exited")
	}
}
