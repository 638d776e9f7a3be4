package e2e

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/test/e2e/harness"

	"github.com/miekg/dns"
)

// TestDelegation is the scenario's DNS side with a real parent: BIND 9
// (Debian's bind9) plays the company DNS. It is authoritative for
// iberia.local, recursive for its clients, and delegates avi.iberia.local to
// coredns-gslb (g-dns.iberia.local) with an NS record and the address record
// of g-dns, exactly as deploy/delegation/README.md tells an operator to.
//
// A real delegation sends the parent's queries to port 53 of the address of
// g-dns. So both servers listen on port 53, BIND on 127.0.0.1 and
// coredns-gslb on 127.0.0.2, inside a private network namespace (which
// needs root: the test fails, it does not skip, without it). coredns-gslb
// runs the Corefile of corefile-examples/delegated-zone with only its
// addresses, paths and SOA minimum changed; gslb-syncer feeds it from the
// host namespace over the unix socket (a path, so namespaces do not matter).
//
// It checks, in the order an operator meets them: the wizard's SOA query
// (SERVFAIL before the first push, NOERROR + SOA + AA after it), the
// delegation added to the parent and `rndc reload`, the names resolving
// through BIND, the 6:4:2 split as BIND's clients see it once its cache
// expires (TTL 1), and the NODATA for AAAA cached by BIND for the SOA minimum.
func TestDelegation(t *testing.T) {
	t.Parallel()
	named, rndc := harness.EnsureBIND(t)
	if !harness.CanNetNS() {
		t.Fatalf("TestDelegation needs root: BIND reaches coredns-gslb through a real delegation, on port 53 "+
			"of g-dns's address, in a private network namespace (uid %d)", os.Geteuid())
	}
	ns := harness.NewNetNS(t)
	lab := &delegLab{t: t, ns: ns, dir: t.TempDir(), rndc: rndc}
	sockDir := harness.SocketDir(t)
	sock := filepath.Join(sockDir, "gslb.sock")

	// The company DNS before the delegation: iberia.local without avi.
	lab.writeParentZone(1, false)
	lab.writeBINDConfig()
	bind := harness.StartNamed(t, ns, named, "named", lab.dir, filepath.Join(lab.dir, "named.conf"))
	parent := lab.client(delegParentAddr)
	harness.Eventually(t, harness.StartTimeout, func() error {
		if bind.Exited() {
			return harness.Permanent(fmt.Errorf("named exited: %s", bind.ExitText()))
		}
		return delegParentSerial(parent, 1)
	})
	r := parent.query(t, hello, dns.TypeA, true)
	if r.Rcode != dns.RcodeNameError || !r.Authoritative {
		t.Fatalf("hello through BIND before the delegation: %s, want NXDOMAIN from BIND's own zone", harness.Brief(r))
	}

	// coredns-gslb from the example Corefile, on 127.0.0.2:53.
	corefilePath := filepath.Join(lab.dir, "Corefile")
	harness.WriteFile(t, corefilePath, delegExampleCorefile(t, sock, filepath.Join(lab.dir, "table.pb")))
	gslb := harness.StartProcess(t, harness.Cmd{
		Name: "coredns-gslb", Path: harness.Bin(t, "coredns-gslb"), Dir: lab.dir, NetNS: ns,
		Args: []string{"-conf", corefilePath},
	})
	gdns := lab.client(delegGSLBAddr)
	var soaBefore *dns.Msg
	harness.Eventually(t, harness.StartTimeout, func() error {
		if gslb.Exited() {
			return harness.Permanent(fmt.Errorf("coredns-gslb exited: %s", gslb.ExitText()))
		}
		var err error
		soaBefore, err = gdns.exchange(zone, dns.TypeSOA, false)
		return err
	})

	// The wizard's check before the first push: the apex SOA comes from the
	// Corefile, so it is answered (serial 0: no table yet); every name the
	// table will hold gets SERVFAIL (an NXDOMAIN would be cached), and the
	// server is not ready.
	if soa, ok := firstSOA(soaBefore); soaBefore.Rcode != dns.RcodeSuccess || !soaBefore.Authoritative || !ok ||
		soa.Serial != 0 || soa.Ns != "g-dns.iberia.local." || soa.Mbox != "johernandez.iberia.local." {
		t.Errorf("SOA %s before the first push: %s, want NOERROR, aa, SOA g-dns.iberia.local. johernandez.iberia.local. 0 ...",
			zone, harness.Brief(soaBefore))
	}
	if r := gdns.query(t, "www."+zone, dns.TypeA, false); r.Rcode != dns.RcodeServerFailure {
		t.Errorf("www.%s before the first push: %s, want SERVFAIL", zone, harness.Brief(r))
	}
	if code, body, err := ns.HTTPGet("http://" + delegGSLBIP + ":8181/ready"); err != nil || code != 503 {
		t.Errorf("/ready before the first push: %d %q (%v), want 503", code, body, err)
	}

	yaml := filepath.Join(lab.dir, "members.yaml")
	harness.WriteFile(t, yaml, delegMembersYAML)
	harness.StartSyncer(t, "--source", "file:"+yaml, "--push", "unix://"+sock)
	delegWaitLoaded(t, sock)

	// The wizard's check after it: NOERROR, AA, the SOA, asked without
	// recursion over UDP and TCP (dig @g-dns avi.iberia.local SOA +norec).
	for _, proto := range []string{"udp", "tcp"} {
		var r *dns.Msg
		var err error
		ns.Do(func() { r, err = harness.Exchange(delegGSLBAddr, proto, zone, dns.TypeSOA) })
		if err != nil {
			t.Fatal(err)
		}
		delegCheckSOA(t, "the wizard's SOA query over "+proto, r, true)
	}
	r = gdns.query(t, zone, dns.TypeNS, false)
	if r.Rcode != dns.RcodeSuccess || !r.Authoritative || len(r.Answer) != 1 || len(r.Extra) == 0 ||
		!strings.Contains(r.Answer[0].String(), "g-dns.iberia.local.") || !strings.Contains(harness.Brief(r), delegGSLBIP) {
		t.Errorf("NS %s: %s, want NS g-dns.iberia.local. with glue %s", zone, harness.Brief(r), delegGSLBIP)
	}

	// The delegation: NS + address of g-dns in the parent zone, serial
	// bumped, rndc reload (deploy/delegation/README.md, BIND).
	lab.writeParentZone(2, true)
	out := lab.rndcRun("reload", "iberia.local")
	if !strings.Contains(out, "zone reload") {
		t.Errorf("rndc reload iberia.local said %q, want \"zone reload queued\" or \"zone reload up-to-date\"", out)
	}
	harness.Eventually(t, waitTimeout, func() error { return delegParentSerial(parent, 2) })

	// Names of the delegated zone, through BIND (RD=1): answered by
	// recursion (RA, no AA: not BIND's own data).
	harness.Eventually(t, waitTimeout, func() error {
		r, err := parent.exchange(hello, dns.TypeA, true)
		if err != nil {
			return err
		}
		_, err = delegResolvedA(r, hello)
		return err
	})
	r = parent.query(t, static, dns.TypeA, true)
	if ip, err := delegResolvedA(r, static); err != nil || ip != staticIP {
		t.Errorf("%s through BIND: %s (%v), want %s", static, harness.Brief(r), err, staticIP)
	}
	r = parent.query(t, zone, dns.TypeSOA, true)
	delegCheckSOA(t, "SOA through BIND", r, false)

	t.Run("split through BIND", func(t *testing.T) { delegSplit(t, lab, parent) })
	t.Run("AAAA NODATA cached for the SOA minimum", func(t *testing.T) { delegNegativeCache(t, lab, parent) })
}

// Inside the namespace: BIND is the company DNS (dc1.iberia.local), the
// address every client of the company asks; coredns-gslb is g-dns.
const (
	delegParentIP = "127.0.0.1"
	delegGSLBIP   = "127.0.0.2"
)

var (
	delegParentAddr = net.JoinHostPort(delegParentIP, "53")
	delegGSLBAddr   = net.JoinHostPort(delegGSLBIP, "53")
)

const (
	// delegNegTTL replaces the example's SOA minimum (30) so that the test
	// sees a negative answer expire in seconds.
	delegNegTTL = 4
	// delegSplitTime is how long the split is watched through BIND: with
	// TTL 1, about one resolver cache period (one member) per second.
	delegSplitTime = 24 * time.Second
	// delegPollEvery is the pace of the client behind BIND.
	delegPollEvery = 50 * time.Millisecond
	// delegChi2Crit is the chi-square critical value for 2 degrees of
	// freedom at significance level 0.001.
	delegChi2Crit = 13.816
)

// delegMembersYAML is the scenario's table with hello's TTL lowered to 1 s,
// as the walkthrough does for tests.
const delegMembersYAML = `# written by TestDelegation
records:
  - fqdn: hello.avi.iberia.local
    ttl: 1
    algorithm: wrr
    members:
      - {cluster: s1az1, site: site1, address: 127.0.0.11, weight: 6}
      - {cluster: s1az2, site: site1, address: 127.0.0.12, weight: 4}
      - {cluster: s2,    site: site2, address: 127.0.0.13, weight: 2}
  - fqdn: test.avi.iberia.local
    ttl: 300
    members:
      - {address: 192.0.2.20}
`

var delegWeights = [3]float64{6, 4, 2}

// delegExampleCorefile renders corefile-examples/delegated-zone/Corefile for
// the namespace.
func delegExampleCorefile(t *testing.T, sock, persist string) string {
	t.Helper()
	return exampleCorefile(t, "delegated-zone", []exampleEdit{
		{"192.0.2.53", delegGSLBIP, 2}, // bind, and the glue of the apex NS
		{"unix:///run/gslb/gslb.sock", "unix://" + sock, 1},
		{"/var/lib/gslb/table.pb", persist, 1},
		{"minimum 30", "minimum " + strconv.Itoa(delegNegTTL), 1},
		{"johernandez.iberia.local.", "johernandez.iberia.local.", 1},
		{"ttl 30", "ttl 30", 1},
		{"gslbmetrics :9153", "gslbmetrics :9153", 1},
		{"ready :8181", "ready :8181", 1},
	})
}

// exampleEdit replaces old, which must occur exactly n times, by new.
type exampleEdit struct {
	old, new string
	n        int
}

// exampleCorefile renders corefile-examples/NAME/Corefile with edits: each
// must match the example exactly, so that an edit of the example that the
// test does not follow fails here.
func exampleCorefile(t *testing.T, name string, edits []exampleEdit) string {
	t.Helper()
	path := filepath.Join(harness.RepoRoot(t), "corefile-examples", name, "Corefile")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Comments may name the addresses too: only the configuration counts.
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			lines = append(lines, l)
		}
	}
	s := strings.Join(lines, "\n")
	for _, c := range edits {
		if got := strings.Count(s, c.old); got != c.n {
			t.Fatalf("%s: %q occurs %d times, %s expects %d: update the test with the example", path, c.old, got, t.Name(), c.n)
		}
		s = strings.ReplaceAll(s, c.old, c.new)
	}
	return s
}

// delegLab holds the BIND side: its directory (config, zone file, logs) and
// the namespace.
type delegLab struct {
	t         *testing.T
	ns        *harness.NetNS
	dir, rndc string
	secret    string
}

// writeBINDConfig writes named.conf and rndc.conf. BIND is authoritative
// for iberia.local and recursive for localhost (the test's client). DNSSEC
// validation is off: iberia.local is a private, unsigned name under a TLD
// that does not exist, and the namespace has no route to the root servers.
func (l *delegLab) writeBINDConfig() {
	l.t.Helper()
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		l.t.Fatal(err)
	}
	l.secret = base64.StdEncoding.EncodeToString(key)
	keyStmt := fmt.Sprintf("key \"rndc-key\" { algorithm hmac-sha256; secret %q; };\n", l.secret)
	options := harness.NamedOptions(l.dir, delegParentIP, "recursion yes;", "allow-recursion { localhost; };",
		"allow-query { localhost; };", "dnssec-validation no;", "querylog yes;")
	harness.WriteFile(l.t, filepath.Join(l.dir, "named.conf"), keyStmt+options+fmt.Sprintf(`controls { inet %s port 953 allow { %s; } keys { "rndc-key"; }; };
zone "iberia.local" { type primary; file "db.iberia.local"; };
`, delegParentIP, delegParentIP))
	harness.WriteFile(l.t, filepath.Join(l.dir, "rndc.conf"), keyStmt+fmt.Sprintf(
		"options { default-key \"rndc-key\"; default-server %s; default-port 953; };\n", delegParentIP))
}

// writeParentZone writes the zone file of iberia.local; with delegate, the
// delegation of avi to g-dns.iberia.local, whose address record is in the
// parent zone (the "glue" the Windows wizard adds).
func (l *delegLab) writeParentZone(serial int, delegate bool) {
	l.t.Helper()
	z := fmt.Sprintf(`$TTL 300
@       IN SOA  dc1.iberia.local. hostmaster.iberia.local. %d 3600 600 86400 60
@       IN NS   dc1.iberia.local.
dc1     IN A    %s
`, serial, delegParentIP)
	if delegate {
		z += fmt.Sprintf("g-dns   IN A    %s\navi     IN NS   g-dns.iberia.local.\n", delegGSLBIP)
	}
	harness.ReplaceFile(l.t, filepath.Join(l.dir, "db.iberia.local"), z)
}

// rndcRun runs rndc in the namespace and returns its output; a non-zero exit
// fails the test.
func (l *delegLab) rndcRun(args ...string) string {
	l.t.Helper()
	p := harness.StartProcess(l.t, harness.Cmd{
		Name: "rndc", Path: l.rndc, Dir: l.dir, NetNS: l.ns,
		Args: append([]string{"-c", filepath.Join(l.dir, "rndc.conf")}, args...),
	})
	if code := p.Wait(30 * time.Second); code != 0 {
		l.t.Fatalf("rndc %s: exit status %d\n%s", strings.Join(args, " "), code, p.Tail(20))
	}
	return strings.TrimSpace(delegLastRunOutput(p.Log()))
}

// delegLastRunOutput is the output of the last run in a harness log: the
// lines after its last "=== harness: run N at" header, without the end line.
func delegLastRunOutput(log string) string {
	lines := strings.Split(log, "\n")
	var out []string
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "=== harness: run ") && !strings.Contains(l, " ended at "):
			out = out[:0]
		case strings.HasPrefix(l, "=== harness:"):
		default:
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func (l *delegLab) client(addr string) *delegClient {
	c := &delegClient{ns: l.ns, addr: addr, c: &dns.Client{Net: "udp", Timeout: harness.QueryTimeout}}
	l.t.Cleanup(c.close)
	return c
}

// delegClient sends queries from inside the namespace over one UDP socket.
// Unlike harness.Client it can ask for recursion (RD=1), as a stub resolver
// asking the company DNS does.
type delegClient struct {
	ns   *harness.NetNS
	addr string
	c    *dns.Client
	conn *dns.Conn
	ad   bool // ask for the AD bit (RFC 6840), and want it in delegSplit's answers
}

func (c *delegClient) exchange(name string, qtype uint16, rd bool) (*dns.Msg, error) {
	if c.conn == nil {
		var err error
		c.ns.Do(func() { c.conn, err = c.c.Dial(c.addr) })
		if err != nil {
			return nil, fmt.Errorf("dial %s: %w", c.addr, err)
		}
	}
	m := harness.NewQuery(name, qtype)
	m.RecursionDesired = rd
	m.AuthenticatedData = c.ad
	r, _, err := c.c.ExchangeWithConn(m, c.conn)
	if err != nil {
		c.close()
		return nil, fmt.Errorf("%s %s to %s (rd=%v): %w", name, dns.TypeToString[qtype], c.addr, rd, err)
	}
	return r, nil
}

func (c *delegClient) query(t *testing.T, name string, qtype uint16, rd bool) *dns.Msg {
	t.Helper()
	r, err := c.exchange(name, qtype, rd)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (c *delegClient) close() {
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}

// delegParentSerial checks that BIND serves iberia.local with the serial.
func delegParentSerial(parent *delegClient, serial uint32) error {
	r, err := parent.exchange("iberia.local.", dns.TypeSOA, false)
	if err != nil {
		return err
	}
	if r.Rcode != dns.RcodeSuccess || !r.Authoritative || len(r.Answer) != 1 {
		return fmt.Errorf("SOA iberia.local from BIND: %s", harness.Brief(r))
	}
	if soa, ok := r.Answer[0].(*dns.SOA); !ok || soa.Serial != serial {
		return fmt.Errorf("SOA iberia.local from BIND: %s, want serial %d", harness.Brief(r), serial)
	}
	return nil
}

// delegWaitLoaded waits until the plugin behind sock holds a table.
func delegWaitLoaded(t *testing.T, sock string) {
	t.Helper()
	cl := harness.TableClient(t, sock)
	harness.Eventually(t, loadTimeout, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		st, err := cl.Status(ctx, &gslbv1.StatusRequest{})
		if err != nil {
			return err
		}
		if st.GetVersion() == 0 {
			return errors.New("no table loaded yet (version 0)")
		}
		return nil
	})
}

// delegCheckSOA checks an answer to SOA avi.iberia.local: NOERROR, one SOA
// as the example Corefile configures it; authoritative when asked of
// coredns-gslb directly, recursive (RA) when asked through BIND.
func delegCheckSOA(t *testing.T, what string, r *dns.Msg, direct bool) {
	t.Helper()
	if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
		t.Errorf("%s: %s, want NOERROR and one SOA", what, harness.Brief(r))
		return
	}
	soa, ok := r.Answer[0].(*dns.SOA)
	if !ok {
		t.Errorf("%s: %s, want an SOA", what, harness.Brief(r))
		return
	}
	if direct && (!r.Authoritative || soa.Hdr.Ttl != 30) {
		t.Errorf("%s: %s, want flags qr aa and TTL 30", what, harness.Brief(r))
	}
	if !direct && (!r.RecursionAvailable || soa.Hdr.Ttl > 30) {
		t.Errorf("%s: %s, want ra and TTL at most 30", what, harness.Brief(r))
	}
	if !strings.EqualFold(soa.Hdr.Name, zone) || soa.Ns != "g-dns.iberia.local." || soa.Mbox != "johernandez.iberia.local." ||
		soa.Refresh != 10800 || soa.Retry != 3600 || soa.Expire != 86400 || soa.Minttl != delegNegTTL || soa.Serial == 0 {
		t.Errorf("%s: %s, want %s SOA g-dns.iberia.local. johernandez.iberia.local. VERSION 10800 3600 86400 %d",
			what, harness.Brief(r), zone, delegNegTTL)
	}
}

// firstSOA returns the first answer of r if it is an SOA.
func firstSOA(r *dns.Msg) (*dns.SOA, bool) {
	if len(r.Answer) != 1 {
		return nil, false
	}
	soa, ok := r.Answer[0].(*dns.SOA)
	return soa, ok
}

// delegResolvedA checks an answer obtained through BIND by recursion: NOERROR,
// RA, not AA (the data is not BIND's own), one A record for name. It returns
// the address.
func delegResolvedA(r *dns.Msg, name string) (string, error) {
	if r.Rcode != dns.RcodeSuccess || !r.RecursionAvailable || r.Authoritative || len(r.Answer) != 1 {
		return "", fmt.Errorf("%s: %s, want NOERROR, ra, no aa, one A", name, harness.Brief(r))
	}
	a, ok := r.Answer[0].(*dns.A)
	if !ok || !strings.EqualFold(a.Hdr.Name, name) {
		return "", fmt.Errorf("%s: %s, want one A record for it", name, harness.Brief(r))
	}
	return a.A.String(), nil
}

// delegSample is one answer for hello through BIND.
type delegSample struct {
	sent, recvd time.Time
	member      int
}

// delegSplit asks BIND for hello every 50 ms for 24 s, as a client behind the
// company DNS would, and checks the split it sees.
//
// BIND caches each answer for its TTL (1 s), so every query within a cache
// period gets the same member, and BIND asks coredns-gslb again once the
// period is over: the unit of the split is the period, not the query. BIND
// keeps TTLs in whole seconds (a TTL 1 answer fetched during second S
// expires at S+1), so the periods are the wall-clock seconds: each second of
// the run counts once, with the member that answered (most of) its queries.
// Those counts must follow 6:4:2 and match the picks coredns-gslb counted in
// coredns_gslb_answers_total, one per refresh.
func delegSplit(t *testing.T, lab *delegLab, parent *delegClient) {
	before := delegAnswerCounts(t, lab)
	var samples []delegSample
	start := time.Now()
	for next := start; time.Since(start) < delegSplitTime; next = next.Add(delegPollEvery) {
		time.Sleep(time.Until(next))
		s := delegSample{sent: time.Now()}
		r, err := parent.exchange(hello, dns.TypeA, true)
		s.recvd = time.Now()
		if err != nil {
			t.Fatalf("query %d through BIND: %v", len(samples)+1, err)
		}
		ip, err := delegResolvedA(r, hello)
		if err != nil {
			t.Fatalf("query %d through BIND: %v", len(samples)+1, err)
		}
		if parent.ad && !r.AuthenticatedData {
			t.Fatalf("query %d through BIND: %s, want the AD flag: validated", len(samples)+1, harness.Brief(r))
		}
		if ttl := r.Answer[0].Header().Ttl; ttl > 1 {
			t.Fatalf("query %d through BIND: TTL %d, want at most 1: %s", len(samples)+1, ttl, harness.Brief(r))
		}
		if s.member = memberIndex(ip); s.member < 0 {
			t.Fatalf("query %d through BIND: %s is not a member (%v)", len(samples)+1, ip, members)
		}
		samples = append(samples, s)
	}
	after := delegAnswerCounts(t, lab)
	var picks [3]int
	for i := range picks {
		picks[i] = after[i] - before[i]
	}

	// Per query: what the users behind BIND got.
	var perQuery [3]int
	for _, s := range samples {
		perQuery[s.member]++
	}

	// Per cache period: the whole seconds of the run, each with the member
	// of most of its queries. A query whose send and receive fall in
	// different seconds, or within 20 ms of a boundary (BIND reads a coarse
	// clock), is not attributed.
	const margin = 20 * time.Millisecond
	bySecond := map[int64]*[3]int{}
	first, last := samples[0].sent.Unix()+1, samples[len(samples)-1].recvd.Unix()-1
	for _, s := range samples {
		sec := s.sent.Add(-margin).Unix()
		if sec != s.recvd.Add(margin).Unix() || sec < first || sec > last {
			continue
		}
		if bySecond[sec] == nil {
			bySecond[sec] = new([3]int)
		}
		bySecond[sec][s.member]++
	}
	var periods [3]int
	attributed, minority, empty := 0, 0, 0
	for sec := first; sec <= last; sec++ {
		c := bySecond[sec]
		if c == nil {
			empty++ // the client stalled (a loaded machine): no data
			continue
		}
		top := 0
		for i := range c {
			if c[i] > c[top] {
				top = i
			}
		}
		periods[top]++
		attributed += c[0] + c[1] + c[2]
		minority += c[0] + c[1] + c[2] - c[top]
	}
	nPeriods := periods[0] + periods[1] + periods[2]
	chi2 := delegChi2(periods)
	t.Logf("through BIND, %d queries in %v (one every %v), TTL 1:", len(samples), delegSplitTime, delegPollEvery)
	t.Logf("  per cache period (second): %s %d, %s %d, %s %d of %d (chi-square %.2f against 6:4:2, df 2)",
		members[0], periods[0], members[1], periods[1], members[2], periods[2], nPeriods, chi2)
	t.Logf("  per query:                 %s %d, %s %d, %s %d (%s)",
		members[0], perQuery[0], members[1], perQuery[1], members[2], perQuery[2], delegShares(perQuery))
	t.Logf("  picks counted by coredns-gslb (BIND's refreshes): %s %d, %s %d, %s %d",
		members[0], picks[0], members[1], picks[1], members[2], picks[2])
	t.Logf("  queries in the minority of their second: %d of %d attributed", minority, attributed)

	if empty > 2 {
		t.Errorf("%d seconds of the run without an attributed query: the client was too slow", empty)
	}
	for i, n := range periods {
		if n == 0 {
			t.Errorf("%s never answered through BIND in %d cache periods", members[i], nPeriods)
		}
	}
	if chi2 > delegChi2Crit {
		t.Errorf("split per cache period %v deviates from 6:4:2: chi-square %.2f > %.2f (p < 0.001)", periods, chi2, delegChi2Crit)
	}
	// One member per cache period: BIND serves a cached answer for its TTL.
	if minority*20 > attributed {
		t.Errorf("%d of %d queries disagree with the member of their second: BIND does not hold one member per TTL", minority, attributed)
	}
	// The shares of queries follow too (the periods are all about 1 s).
	for i, share := range delegShareOf(perQuery) {
		want := delegWeights[i] / 12
		if math.Abs(share-want) > 0.15 {
			t.Errorf("share of queries answered %s through BIND: %.1f%%, want %.1f%% ± 15 pp", members[i], 100*share, 100*want)
		}
	}
	// BIND asked coredns-gslb again once per expired TTL: once per period
	// (plus the partial first and last seconds), and the members it got
	// are the periods' members.
	total := picks[0] + picks[1] + picks[2]
	if total < nPeriods-1 || total > nPeriods+3 {
		t.Errorf("coredns-gslb answered hello %d times to BIND during %d one-second cache periods, want one per period (TTL 1)", total, nPeriods)
	}
	for i := range picks {
		if d := picks[i] - periods[i]; d < -3 || d > 3 {
			t.Errorf("%s: picked %d times by coredns-gslb, seen in %d cache periods through BIND", members[i], picks[i], periods[i])
		}
	}
}

// delegChi2 is the chi-square statistic of counts against 6:4:2.
func delegChi2(c [3]int) float64 {
	n := float64(c[0] + c[1] + c[2])
	var x float64
	for i, o := range c {
		e := n * delegWeights[i] / 12
		x += (float64(o) - e) * (float64(o) - e) / e
	}
	return x
}

func delegShareOf(c [3]int) [3]float64 {
	n := float64(c[0] + c[1] + c[2])
	return [3]float64{float64(c[0]) / n, float64(c[1]) / n, float64(c[2]) / n}
}

func delegShares(c [3]int) string {
	s := delegShareOf(c)
	return fmt.Sprintf("%.1f%% / %.1f%% / %.1f%%, configured 50.0%% / 33.3%% / 16.7%%", 100*s[0], 100*s[1], 100*s[2])
}

// delegNegativeCache: AAAA hello through BIND is NOERROR with no answer and
// the SOA in the authority section, with a TTL of at most the SOA minimum;
// BIND answers it from its cache (coredns-gslb does not see the query)
// until that time is over, and asks again after it.
func delegNegativeCache(t *testing.T, lab *delegLab, parent *delegClient) {
	nodata := func() int {
		return int(delegMetric(t, lab, "coredns_gslb_requests_total", map[string]string{"type": "AAAA", "result": "nodata"}))
	}
	check := func(r *dns.Msg) uint32 {
		t.Helper()
		if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 0 || len(r.Ns) != 1 || !r.RecursionAvailable {
			t.Fatalf("AAAA hello through BIND: %s, want NOERROR, ra, no answer, the SOA in authority", harness.Brief(r))
		}
		soa, ok := r.Ns[0].(*dns.SOA)
		if !ok || !strings.EqualFold(soa.Hdr.Name, zone) || soa.Minttl != delegNegTTL {
			t.Fatalf("AAAA hello through BIND: %s, want the SOA of %s with minimum %d", harness.Brief(r), zone, delegNegTTL)
		}
		if soa.Hdr.Ttl > delegNegTTL {
			t.Fatalf("AAAA hello through BIND: SOA TTL %d, want at most the SOA minimum %d: %s", soa.Hdr.Ttl, delegNegTTL, harness.Brief(r))
		}
		return soa.Hdr.Ttl
	}

	n0 := nodata()
	r := parent.query(t, hello, dns.TypeAAAA, true)
	fetched := time.Now()
	ttl1 := check(r)
	n1 := nodata()
	if n1 != n0+1 {
		t.Fatalf("coredns-gslb counted %d AAAA NODATA for the first AAAA query through BIND, want 1", n1-n0)
	}
	r = parent.query(t, hello, dns.TypeAAAA, true)
	if ttl2 := check(r); ttl2 > ttl1 {
		t.Errorf("second AAAA through BIND: SOA TTL %d, more than the first's %d: not from the cache", ttl2, ttl1)
	}
	if n := nodata(); n != n1 {
		t.Errorf("the second AAAA query through BIND reached coredns-gslb (%d NODATA counted, want %d): not cached", n, n1)
	}

	// Ask every 200 ms until the query reaches coredns-gslb again.
	var expired time.Duration
	harness.Eventually(t, 3*delegNegTTL*time.Second, func() error {
		check(parent.query(t, hello, dns.TypeAAAA, true))
		if nodata() == n1 {
			time.Sleep(200 * time.Millisecond)
			return fmt.Errorf("AAAA hello still answered from BIND's cache %v after the first query", time.Since(fetched).Round(time.Millisecond))
		}
		expired = time.Since(fetched)
		return nil
	})
	t.Logf("AAAA hello through BIND: NODATA, SOA TTL %d (SOA minimum %d); answered from BIND's cache for %v",
		ttl1, delegNegTTL, expired.Round(10*time.Millisecond))
	// BIND keeps TTLs in whole seconds: the period is between minimum-1 s
	// and minimum, plus the 200 ms of polling and whatever a loaded machine
	// adds to a round through BIND. The upper bound is twice the minimum:
	// a cache period of 30 s (the record TTL, or the example's minimum)
	// still fails it.
	if lo, hi := (delegNegTTL-1)*time.Second, 2*delegNegTTL*time.Second; expired < lo || expired > hi {
		t.Errorf("the NODATA was cached by BIND for %v, want about the SOA minimum, %d s (%v to %v)", expired, delegNegTTL, lo, hi)
	}
}

// delegAnswerCounts reads coredns_gslb_answers_total for hello's members.
func delegAnswerCounts(t *testing.T, lab *delegLab) [3]int {
	t.Helper()
	var c [3]int
	for i, m := range members {
		c[i] = int(delegMetric(t, lab, "coredns_gslb_answers_total", map[string]string{"fqdn": hello, "member": m}))
	}
	return c
}

var delegLabelRE = regexp.MustCompile(`(\w+)="((?:[^"\\]|\\.)*)"`)

// delegMetric scrapes coredns-gslb's /metrics in the namespace and returns
// the sum of the series of name whose labels include want (0 when none).
func delegMetric(t *testing.T, lab *delegLab, name string, want map[string]string) float64 {
	t.Helper()
	return nsMetric(t, lab.ns, "http://"+delegGSLBIP+":9153/metrics", name, want)
}

// nsMetric scrapes url in the namespace and returns the sum of the series
// of name whose labels include want (0 when none).
func nsMetric(t *testing.T, ns *harness.NetNS, url, name string, want map[string]string) float64 {
	t.Helper()
	v, err := nsMetricValue(ns, url, name, want)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// nsMetricValue is nsMetric's scrape, with its error.
func nsMetricValue(ns *harness.NetNS, url, name string, want map[string]string) (float64, error) {
	code, body, err := ns.HTTPGet(url)
	if err != nil || code != 200 {
		return 0, fmt.Errorf("metrics: %d (%v)", code, err)
	}
	var sum float64
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, name+"{") {
			continue
		}
		end := strings.LastIndexByte(line, '}')
		if end < 0 {
			continue
		}
		labels := map[string]string{}
		for _, m := range delegLabelRE.FindAllStringSubmatch(line[len(name)+1:end], -1) {
			labels[m[1]] = m[2]
		}
		match := true
		for k, v := range want {
			if labels[k] != v {
				match = false
			}
		}
		if !match {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(line[end+1:]), 64)
		if err != nil {
			return 0, fmt.Errorf("metrics: %q: %v", line, err)
		}
		sum += v
	}
	return sum, nil
}
