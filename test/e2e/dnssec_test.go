package e2e

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gslbdns/gslb/test/e2e/harness"

	"github.com/miekg/dns"
)

// TestDNSSEC: coredns-gslb signs its zone with gslb's dnssec option
// (corefile-examples/dnssec, a key made by dnssec-keygen: every answer signed
// when the table is applied), and a validating BIND resolver and a
// validating Unbound accept its answers. Inside a private network namespace:
//
//   - 127.0.0.1: BIND authoritative for iberia.local, signed offline by
//     dnssec-signzone with the parent's own keys; the delegation of avi to
//     g-dns (127.0.0.2) carries the DS of coredns-gslb's key, made by
//     dnssec-dsfromkey (deploy/delegation/README.md's command).
//   - 127.0.0.2: coredns-gslb, port 53, the example Corefile.
//   - 127.0.0.3: BIND as a validating resolver whose only trust anchor is
//     iberia.local's key: the private parent plays the root.
//   - 127.0.0.4: Unbound, validating, with the same trust anchor.
//
// Through both resolvers, asking for the AD flag: hello A, AAAA hello
// (NODATA) and an unknown name (NXDOMAIN, proved by the precomputed NSEC
// chain) are validated (AD); the 6:4:2 split holds per TTL 1 s period
// through BIND as in TestDelegation, every answer validated; a DS in the
// parent that does not match the key coredns-gslb signs with gives SERVFAIL
// (and the data with checking disabled). Then the KSK rollover completes
// (the old key removed) and a ZSK rollover runs, each step validated.
func TestDNSSEC(t *testing.T) {
	t.Parallel()
	named, rndc := harness.EnsureBIND(t)
	tools := dnssecEnsureTools(t)
	if !harness.CanNetNS() {
		t.Fatalf("TestDNSSEC needs root: BIND reaches coredns-gslb through a real delegation, on port 53, "+
			"in a private network namespace (uid %d)", os.Geteuid())
	}
	ns := harness.NewNetNS(t)
	ns.AddLoopbackAddress(t, 3, netip.MustParseAddr(dnssecResolverIP)) // 127.0.0.1 is BIND the parent
	ns.AddLoopbackAddress(t, 4, netip.MustParseAddr(dnssecUnboundIP))
	lab := &delegLab{t: t, ns: ns, dir: t.TempDir(), rndc: rndc}
	keys := filepath.Join(lab.dir, "keys")
	childKeys := filepath.Join(lab.dir, "dnssec")
	for _, d := range []string{keys, childKeys} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}

	// coredns-gslb's key, as corefile-examples/dnssec/README.md makes it,
	// and another key of the same zone that it does not hold.
	child := tools.keygen(t, childKeys, zone, "-f", "KSK")
	for _, ext := range []string{".key", ".private"} {
		if err := os.Rename(child+ext, filepath.Join(childKeys, "csk"+ext)); err != nil {
			t.Fatal(err)
		}
	}
	child = filepath.Join(childKeys, "csk")
	wrong := tools.keygen(t, keys, zone, "-f", "KSK")
	tools.keygen(t, keys, "iberia.local.") // the parent's ZSK, found by dnssec-signzone -S
	anchor := tools.keygen(t, keys, "iberia.local.", "-f", "KSK")
	goodDS, wrongDS := tools.ds(t, child+".key"), tools.ds(t, wrong+".key")

	tools.signParent(t, lab, 1, goodDS)
	dnssecWriteBINDConfigs(t, lab, readDNSKEY(t, anchor+".key"))
	auth := harness.StartNamed(t, lab.ns, named, "named-auth", lab.dir, filepath.Join(lab.dir, "named-auth.conf"))
	resolverDir := filepath.Join(lab.dir, "resolver")
	res := harness.StartNamed(t, lab.ns, named, "named-resolver", resolverDir, filepath.Join(resolverDir, "named.conf"))
	parent := lab.client(delegParentAddr)
	harness.Eventually(t, harness.StartTimeout, func() error {
		if auth.Exited() {
			return harness.Permanent(fmt.Errorf("named (authoritative) exited: %s", auth.ExitText()))
		}
		return delegParentSerial(parent, 1)
	})

	sock := filepath.Join(harness.SocketDir(t), "gslb.sock")
	corefilePath := filepath.Join(lab.dir, "Corefile")
	// startGSLB runs the example Corefile signing with keys (paths without
	// extension, separated by spaces).
	startGSLB := func(keys string) *harness.Process {
		harness.WriteFile(t, corefilePath, exampleCorefile(t, "dnssec", []exampleEdit{
			{"192.0.2.53", delegGSLBIP, 2},
			{"/etc/gslb/dnssec/csk", keys, 1},
			{"unix:///run/gslb/gslb.sock", "unix://" + sock, 1},
			{"/var/lib/gslb/table.pb", filepath.Join(lab.dir, "table.pb"), 1},
			{"minimum 30", "minimum " + strconv.Itoa(delegNegTTL), 1},
			{"gslbmetrics :9153", "gslbmetrics :9153", 1},
		}))
		return harness.StartProcess(t, harness.Cmd{
			Name: "coredns-gslb", Path: harness.Bin(t, "coredns-gslb"), Dir: lab.dir, NetNS: ns,
			Args: []string{"-conf", corefilePath},
		})
	}
	gslb := startGSLB(child)
	yaml := filepath.Join(lab.dir, "members.yaml")
	harness.WriteFile(t, yaml, delegMembersYAML)
	harness.StartSyncer(t, "--source", "file:"+yaml, "--push", "unix://"+sock)
	delegWaitLoaded(t, sock)
	if gslb.Exited() {
		t.Fatalf("coredns-gslb exited: %s", gslb.ExitText())
	}

	dnssecCheckSigned(t, func(m *dns.Msg) (r *dns.Msg, err error) {
		ns.Do(func() { r, err = dnssecExchange(m, delegGSLBAddr) })
		return r, err
	}, readDNSKEY(t, child+".key"))

	resolver := lab.client(dnssecResolverAddr)
	resolver.ad = true
	harness.Eventually(t, waitTimeout, func() error {
		if res.Exited() {
			return harness.Permanent(fmt.Errorf("named (resolver) exited: %s", res.ExitText()))
		}
		r, err := resolver.exchange(hello, dns.TypeA, true)
		if err != nil {
			return err
		}
		if _, err := delegResolvedA(r, hello); err != nil {
			return err
		}
		return dnssecWantAD(r)
	})
	ub := startValidatingUnbound(t, ns, readDNSKEY(t, anchor+".key"))
	unbound := &delegClient{ns: ns, addr: dnssecUnboundAddr, c: &dns.Client{Net: "udp", Timeout: harness.QueryTimeout}, ad: true}
	flush := func() { // both resolvers forget what they validated
		lab.rndcRun("-s", dnssecResolverIP, "flush")
		unbound.close()
		ub.Stop()
		ub = startValidatingUnbound(t, ns, readDNSKEY(t, anchor+".key"))
	}
	t.Run("validated answers", func(t *testing.T) { dnssecValidated(t, resolver) })
	t.Run("validated answers: Unbound", func(t *testing.T) { dnssecValidated(t, unbound) })
	t.Run("split through validation", func(t *testing.T) { delegSplit(t, lab, resolver) })
	t.Run("DS of another key: SERVFAIL", func(t *testing.T) {
		tools.signParent(t, lab, 2, wrongDS)
		lab.rndcRun("reload", "iberia.local")
		harness.Eventually(t, waitTimeout, func() error { return delegParentSerial(parent, 2) })
		flush()
		dnssecBogus(t, resolver)
		dnssecBogus(t, unbound)
	})
	// restartWith restarts coredns-gslb signing with keys and waits for its
	// DNSKEY set to hold n keys.
	restartWith := func(t *testing.T, keys string, n int) {
		gslb.Stop()
		gslb = startGSLB(keys)
		dnssecWaitKeys(t, ns, n)
	}
	// deploy/dnssec's rollover, at the step where the parent's DS names the
	// new key while coredns-gslb serves and signs with both.
	t.Run("rollover: both keys served, the new key's DS validates", func(t *testing.T) {
		restartWith(t, child+" "+wrong, 2)
		flush()
		dnssecValidated(t, resolver)
		dnssecValidated(t, unbound)
	})
	t.Run("rollover: the old KSK removed", func(t *testing.T) {
		restartWith(t, wrong, 1)
		flush()
		dnssecValidated(t, resolver)
		dnssecValidated(t, unbound)
	})
	// A ZSK rollover by double signature: the new ZSK is added (both sign:
	// resolvers holding the old DNSKEY set still validate, no flush), then
	// the old one removed once the DNSKEY TTL has passed (the flush of the
	// DNSKEY set stands for it).
	zsk1, zsk2 := tools.keygen(t, childKeys, zone), tools.keygen(t, childKeys, zone)
	t.Run("ZSK rollover", func(t *testing.T) {
		restartWith(t, wrong+" "+zsk1, 2)
		flush()
		dnssecValidated(t, resolver)
		dnssecValidated(t, unbound)
		restartWith(t, wrong+" "+zsk1+" "+zsk2, 3)
		dnssecValidated(t, resolver) // the cached set has zsk1 only
		dnssecValidated(t, unbound)
		restartWith(t, wrong+" "+zsk2, 2)
		flush()
		dnssecValidated(t, resolver)
		dnssecValidated(t, unbound)
	})
}

// dnssecWaitKeys waits for coredns-gslb to answer its DNSKEY set with n keys.
func dnssecWaitKeys(t *testing.T, ns *harness.NetNS, n int) {
	t.Helper()
	harness.Eventually(t, harness.StartTimeout, func() error {
		m := harness.NewQuery(zone, dns.TypeDNSKEY)
		m.SetEdns0(1232, true)
		var r *dns.Msg
		var err error
		ns.Do(func() { r, err = dnssecExchange(m, delegGSLBAddr) })
		if err != nil {
			return err
		}
		if got := len(dnssecKeys(r)); got != n {
			return fmt.Errorf("DNSKEY %s: %d keys, want %d: %s", zone, got, n, harness.Brief(r))
		}
		return nil
	})
}

// The validating Unbound's address in the namespace.
const dnssecUnboundIP = "127.0.0.4"

var dnssecUnboundAddr = dnssecUnboundIP + ":53"

// startValidatingUnbound starts Unbound in the namespace as a validating
// resolver whose only trust anchor is the parent's key, reaching the parent
// by a stub zone, and waits until it answers.
func startValidatingUnbound(t *testing.T, ns *harness.NetNS, anchor *dns.DNSKEY) *harness.Process {
	t.Helper()
	bin := ensureUnbound(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "unbound.conf")
	harness.WriteFile(t, conf, fmt.Sprintf(`server:
  interface: %s
  port: 53
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "%s"
  pidfile: ""
  use-syslog: no
  logfile: ""
  verbosity: 1
  val-log-level: 2
  do-ip6: no
  access-control: 127.0.0.0/8 allow
  do-not-query-localhost: no
  module-config: "validator iterator"
  trust-anchor: "iberia.local. DNSKEY %d %d %d %s"
  num-threads: 1
stub-zone:
  name: "iberia.local"
  stub-addr: %s@53
`, dnssecUnboundIP, dir, anchor.Flags, anchor.Protocol, anchor.Algorithm, anchor.PublicKey, delegParentIP))
	p := harness.StartProcess(t, harness.Cmd{Name: "unbound", Path: bin, Args: []string{"-d", "-c", conf}, Dir: dir, NetNS: ns})
	harness.Eventually(t, harness.StartTimeout, func() error {
		if p.Exited() {
			return harness.Permanent(fmt.Errorf("unbound exited: %s", p.Tail(20)))
		}
		m := harness.NewQuery("iberia.local.", dns.TypeSOA)
		m.RecursionDesired = true
		var r *dns.Msg
		var err error
		ns.Do(func() { r, err = dnssecExchange(m, dnssecUnboundAddr) })
		if err == nil && r.Rcode != dns.RcodeSuccess {
			err = fmt.Errorf("SOA iberia.local: %s", harness.Brief(r))
		}
		return err
	})
	return p
}

// dnssecKeys returns the DNSKEY records of an answer.
func dnssecKeys(r *dns.Msg) []*dns.DNSKEY {
	var out []*dns.DNSKEY
	for _, rr := range r.Answer {
		if k, ok := rr.(*dns.DNSKEY); ok {
			out = append(out, k)
		}
	}
	return out
}

// TestGslbctlDNSSECKey: a key made by `gslbctl dnssec-key` is loaded by
// coredns-gslb's dnssec plugin, which answers DNSKEY with it and signs hello
// with it, and the DS gslbctl printed is that key's.
func TestGslbctlDNSSECKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := harness.StartProcess(t, harness.Cmd{Path: harness.Bin(t, "gslbctl"), Args: []string{"dnssec-key", "avi.iberia.local", "--dir", dir}})
	if code := p.Wait(30 * time.Second); code != 0 {
		t.Fatalf("gslbctl dnssec-key: exit %d\n%s", code, p.Tail(10))
	}
	ds, err := dns.NewRR(delegLastRunOutput(p.Log()))
	if err != nil {
		t.Fatalf("gslbctl dnssec-key printed %q: %v", delegLastRunOutput(p.Log()), err)
	}
	c := harness.StartCoreDNS(t, `avi.iberia.local:{{port "dns"}} {
    bind 127.0.0.1
    dnssec {
        key file {{.KeyDir}}/csk
    }
    gslb {
        soa g-dns.iberia.local. hostmaster.iberia.local.
        listen unix://{{.Sock}}
    }
}
`, map[string]any{"KeyDir": dir})
	yaml := filepath.Join(t.TempDir(), "members.yaml")
	harness.WriteFile(t, yaml, membersYAML(w642))
	harness.StartSyncer(t, "--source", "file:"+yaml, "--push", "unix://"+c.Sock)
	c.WaitLoaded(loadTimeout)

	key := readDNSKEY(t, filepath.Join(dir, "csk.key"))
	if got := key.ToDS(dns.SHA256); got.String() != ds.String() {
		t.Errorf("gslbctl printed %s, the key's DS is %s", ds, got)
	}
	dnssecCheckSigned(t, func(m *dns.Msg) (*dns.Msg, error) { return dnssecExchange(m, c.Addr) }, key)
}

// The validating resolver's address in the namespace.
const dnssecResolverIP = "127.0.0.3"

var dnssecResolverAddr = dnssecResolverIP + ":53"

// dnssecValidated asks the resolver for the three kinds of answer a GSLB
// zone gives; each must come back validated (AD).
func dnssecValidated(t *testing.T, resolver *delegClient) {
	r := resolver.query(t, hello, dns.TypeA, true)
	if _, err := delegResolvedA(r, hello); err != nil {
		t.Errorf("hello A: %v", err)
	}
	if err := dnssecWantAD(r); err != nil {
		t.Errorf("hello A: %v", err)
	}
	// NODATA (hello has no AAAA), and unknown names: NXDOMAIN, proved by
	// the NSEC chain gslb signed with the table (one name before hello,
	// one after every name, one below hello).
	r = resolver.query(t, hello, dns.TypeAAAA, true)
	if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 0 || !r.RecursionAvailable || dnssecWantAD(r) != nil {
		t.Errorf("hello AAAA: %s (ad %v), want an authenticated NODATA: NOERROR, ra, no answer, AD", harness.Brief(r), r.AuthenticatedData)
	}
	for _, name := range []string{"a." + zone, "nope." + zone, "zzz." + zone, "x." + hello} {
		for _, qt := range []uint16{dns.TypeA, dns.TypeAAAA} {
			r := resolver.query(t, name, qt, true)
			if r.Rcode != dns.RcodeNameError || len(r.Answer) != 0 || dnssecWantAD(r) != nil {
				t.Errorf("%s %s: %s (ad %v), want an authenticated NXDOMAIN", name, dns.TypeToString[qt], harness.Brief(r), r.AuthenticatedData)
			}
		}
	}
}

// dnssecBogus: with the parent's DS naming a key coredns-gslb does not sign
// with, the resolver cannot validate the zone and answers SERVFAIL; with
// checking disabled (CD) it hands the data over, unvalidated.
func dnssecBogus(t *testing.T, resolver *delegClient) {
	for _, qt := range []uint16{dns.TypeA, dns.TypeAAAA} {
		r := resolver.query(t, hello, qt, true)
		if r.Rcode != dns.RcodeServerFailure || len(r.Answer) != 0 {
			t.Errorf("hello %s with a wrong DS in the parent: %s, want SERVFAIL", dns.TypeToString[qt], harness.Brief(r))
		}
	}
	m := harness.NewQuery(hello, dns.TypeA)
	m.RecursionDesired, m.CheckingDisabled = true, true
	var r *dns.Msg
	var err error
	resolver.ns.Do(func() { r, err = dnssecExchange(m, resolver.addr) })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := delegResolvedA(r, hello); err != nil || r.AuthenticatedData {
		t.Errorf("hello A with CD: %s (ad %v), want the A record, not validated", harness.Brief(r), r.AuthenticatedData)
	}
}

// dnssecCheckSigned asks coredns-gslb directly with DO: the apex DNSKEY is
// the key of the Corefile, and hello's A record is signed with it.
func dnssecCheckSigned(t *testing.T, exchange func(*dns.Msg) (*dns.Msg, error), key *dns.DNSKEY) {
	t.Helper()
	ask := func(name string, qtype uint16) *dns.Msg {
		m := harness.NewQuery(name, qtype)
		m.SetEdns0(1232, true)
		r, err := exchange(m)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := ask(zone, dns.TypeDNSKEY)
	if r.Rcode != dns.RcodeSuccess || !r.Authoritative || len(r.Answer) != 2 {
		t.Fatalf("DNSKEY %s: %s, want the key and its RRSIG", zone, harness.Brief(r))
	}
	if k, ok := r.Answer[0].(*dns.DNSKEY); !ok || k.PublicKey != key.PublicKey || k.Flags != key.Flags {
		t.Errorf("DNSKEY %s: %s, want the key of the Corefile (tag %d)", zone, harness.Brief(r), key.KeyTag())
	}
	r = ask(hello, dns.TypeA)
	if len(r.Answer) != 2 {
		t.Fatalf("hello A with DO: %s, want the A record and its RRSIG", harness.Brief(r))
	}
	sig, ok := r.Answer[1].(*dns.RRSIG)
	if !ok || sig.KeyTag != key.KeyTag() || !strings.EqualFold(sig.SignerName, zone) {
		t.Fatalf("hello A with DO: %s, want an RRSIG by %s key %d", harness.Brief(r), zone, key.KeyTag())
	}
	if err := sig.Verify(key, r.Answer[:1]); err != nil {
		t.Errorf("hello A: the RRSIG does not verify with the Corefile's key: %v", err)
	}
}

func dnssecExchange(m *dns.Msg, addr string) (*dns.Msg, error) {
	c := &dns.Client{Net: "udp", Timeout: harness.QueryTimeout, UDPSize: 4096}
	r, _, err := c.Exchange(m, addr)
	return r, err
}

func dnssecWantAD(r *dns.Msg) error {
	if !r.AuthenticatedData {
		return fmt.Errorf("%s: the AD flag is not set: not validated", harness.Brief(r))
	}
	return nil
}

// dnssecWriteBINDConfigs writes the configurations of the authoritative
// parent (named-auth.conf) and of the validating resolver
// (resolver/named.conf), and rndc.conf for both.
func dnssecWriteBINDConfigs(t *testing.T, lab *delegLab, anchor *dns.DNSKEY) {
	t.Helper()
	lab.writeBINDConfig() // the rndc key and rndc.conf
	keyStmt := fmt.Sprintf("key \"rndc-key\" { algorithm hmac-sha256; secret %q; };\n", lab.secret)
	controls := func(ip string) string {
		return fmt.Sprintf("controls { inet %s port 953 allow { 127.0.0.0/8; } keys { \"rndc-key\"; }; };\n", ip)
	}
	harness.WriteFile(t, filepath.Join(lab.dir, "named-auth.conf"), keyStmt+harness.NamedOptions(lab.dir, delegParentIP, "recursion no;", "dnssec-validation no;")+
		`zone "iberia.local" { type primary; file "db.iberia.local.signed"; };
`+controls(delegParentIP))
	dir := filepath.Join(lab.dir, "resolver")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	// The only trust anchor is the parent's key signing key; the parent is
	// reached by a static stub, as a root would be by its hints.
	options := harness.NamedOptions(dir, dnssecResolverIP, "recursion yes;", "allow-query { 127.0.0.0/8; };",
		"allow-recursion { 127.0.0.0/8; };", "dnssec-validation yes;", "querylog yes;")
	harness.WriteFile(t, filepath.Join(dir, "named.conf"), keyStmt+options+fmt.Sprintf(`trust-anchors { "iberia.local." static-key %d %d %d "%s"; };
zone "iberia.local" { type static-stub; server-addresses { %s; }; };
`, anchor.Flags, anchor.Protocol, anchor.Algorithm, anchor.PublicKey, delegParentIP)+controls(dnssecResolverIP))
}

// dnssecTools are bind9-utils' key and signing commands.
type dnssecTools struct{ keygenCmd, signzone, dsfromkey string }

// dnssecEnsureTools finds them, installing bind9-utils when missing.
func dnssecEnsureTools(t *testing.T) dnssecTools {
	t.Helper()
	script := filepath.Join(harness.RepoRoot(t), "test", "tools", "ensure-deb.sh")
	var p [3]string
	for i, cmd := range []string{"dnssec-keygen", "dnssec-signzone", "dnssec-dsfromkey"} {
		if out, err := exec.Command(script, cmd, "bind9-utils").CombinedOutput(); err != nil {
			t.Fatalf("%s is missing and `%s %s bind9-utils` failed: %v\n%s", cmd, script, cmd, err, out)
		}
		var err error
		if p[i], err = exec.LookPath(cmd); err != nil {
			t.Fatalf("%s: %v", cmd, err)
		}
	}
	return dnssecTools{p[0], p[1], p[2]}
}

// run runs a tool in dir and returns its standard output.
func (dnssecTools) run(t *testing.T, dir, path string, args ...string) string {
	t.Helper()
	cmd := exec.Command(path, args...)
	cmd.Dir = dir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(path), strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// keygen makes an ECDSA P-256 key for zone in dir and returns the path of
// its files without extension.
func (d dnssecTools) keygen(t *testing.T, dir, zone string, extra ...string) string {
	t.Helper()
	args := append([]string{"-q", "-K", dir, "-a", "ECDSAP256SHA256"}, extra...)
	return filepath.Join(dir, d.run(t, dir, d.keygenCmd, append(args, zone)...))
}

// ds is the DS record of a key, as the parent publishes it.
func (d dnssecTools) ds(t *testing.T, keyFile string) string {
	t.Helper()
	return d.run(t, filepath.Dir(keyFile), d.dsfromkey, "-a", "SHA-256", keyFile)
}

// signParent writes iberia.local with the delegation of avi and the DS
// record ds, and signs it with the keys of the lab's keys directory.
func (d dnssecTools) signParent(t *testing.T, lab *delegLab, serial int, ds string) {
	t.Helper()
	z := fmt.Sprintf(`$TTL 300
@       IN SOA  dc1.iberia.local. hostmaster.iberia.local. %d 3600 600 86400 60
@       IN NS   dc1.iberia.local.
dc1     IN A    %s
g-dns   IN A    %s
avi     IN NS   g-dns.iberia.local.
%s
`, serial, delegParentIP, delegGSLBIP, ds)
	harness.WriteFile(t, filepath.Join(lab.dir, "db.iberia.local"), z)
	d.run(t, lab.dir, d.signzone, "-S", "-K", filepath.Join(lab.dir, "keys"), "-o", "iberia.local",
		"-f", "db.iberia.local.signed.new", "db.iberia.local")
	if err := os.Rename(filepath.Join(lab.dir, "db.iberia.local.signed.new"), filepath.Join(lab.dir, "db.iberia.local.signed")); err != nil {
		t.Fatal(err)
	}
}

// readDNSKEY reads a dnssec-keygen public key file.
func readDNSKEY(t *testing.T, path string) *dns.DNSKEY {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rr, err := dns.ReadRR(f, path)
	if err != nil {
		t.Fatal(err)
	}
	k, ok := rr.(*dns.DNSKEY)
	if !ok {
		t.Fatalf("%s: %T, want a DNSKEY", path, rr)
	}
	return k
}
