package e2e

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gslbdns/gslb/syncer/delegation"
	syncpush "github.com/gslbdns/gslb/syncer/push"
	"github.com/gslbdns/gslb/test/e2e/harness"

	"github.com/miekg/dns"
)

// TestAutoDelegation: two sites, each a coredns-gslb fed by its own
// gslb-syncer with --delegation, keep their NS records in the parent (BIND 9,
// an update-policy granting each site's key its NS and glue). First site A's
// syncer has a wrong TSIG secret: the error is in its log and metrics and
// the parent is unchanged; its /status/delegation says failing, badsig,
// and gslbctl delegation exits 1 naming it. With the
// right keys both register (the status says registered) and hello
// resolves through BIND; site A's
// coredns-gslb stopped, its syncer withdraws its NS after the configured
// time, not before, and resolution continues through B; A back, its NS is
// back. Before that, site A's syncer's own coredns-gslb stops while a peer
// coredns-gslb of site A, fed by its own syncer, still answers on site A's
// NS address: the site is ready by the DNS check (status readyBy site-dns)
// and its NS stays in the parent on every read past withdrawAfter; the
// peer stopped too, the NS leaves. Everything runs in a private network namespace, the syncers too
// (they reach BIND there).
func TestAutoDelegation(t *testing.T) {
	t.Parallel()
	named, _ := harness.EnsureBIND(t)
	if !harness.CanNetNS() {
		t.Fatalf("TestAutoDelegation needs root: BIND reaches the sites through a real delegation, on port 53, "+
			"in a private network namespace (uid %d)", os.Geteuid())
	}
	ns := harness.NewNetNS(t)
	dir := t.TempDir()
	keys := autoWriteParent(t, dir)
	bind := harness.StartNamed(t, ns, named, "named", dir, filepath.Join(dir, "named.conf"))
	parent := (&delegLab{t: t, ns: ns}).client(delegParentAddr)
	harness.Eventually(t, harness.StartTimeout, func() error {
		if bind.Exited() {
			return harness.Permanent(fmt.Errorf("named exited: %s", bind.ExitText()))
		}
		return delegParentSerial(parent, 1)
	})

	sites := []*autoSite{
		{name: "a", ip: "127.0.0.2"},
		{name: "b", ip: "127.0.0.4"},
	}
	const withdrawAfter = 3 * time.Second
	for _, s := range sites {
		s.start(t, ns, dir)
	}
	reader := autoReader(t, ns, sites[1])

	// A wrong secret for gslb-a: refused (BADSIG), reported, nothing written.
	wrong := base64.StdEncoding.EncodeToString([]byte("not the secret of gslb-a, 32 by."))
	bad := sites[0].keep(t, ns, dir, "gslb-a-wrong", wrong, withdrawAfter)
	autoWaitLog(t, bad, "reason=badsig")
	if n := sites[0].metric(t, ns, "gslb_syncer_delegation_errors_total", map[string]string{"reason": "badsig"}); n < 1 {
		t.Errorf("gslb_syncer_delegation_errors_total{reason=badsig} = %v after a refused update, want ≥ 1", n)
	}
	if n := sites[0].metric(t, ns, "gslb_syncer_delegation_registered", nil); n != 0 {
		t.Errorf("gslb_syncer_delegation_registered = %v with a wrong key, want 0", n)
	}
	if err := delegParentSerial(parent, 1); err != nil {
		t.Errorf("the parent changed after an update with a wrong key: %v", err)
	}
	if strings.Contains(bad.Log(), wrong) {
		t.Errorf("the syncer logged the TSIG secret")
	}
	// Its status says so too, and gslbctl delegation exits 1 naming it.
	if body := sites[0].waitStatus(t, ns, delegation.StateFailing, delegation.ReasonBadSig); strings.Contains(body, wrong) {
		t.Errorf("the syncer's /status/delegation shows the TSIG secret")
	}
	sites[0].expectGslbctl(t, ns, dir, 1, "failing", "badsig since", "TSIG BADSIG")
	bad.Stop()

	// The right keys: both register.
	started := time.Now()
	for _, s := range sites {
		s.syncer = s.keep(t, ns, dir, s.key(), keys[s.key()], withdrawAfter)
	}
	both := []string{"g-dns-a.iberia.local.", "g-dns-b.iberia.local."}
	autoWaitNS(t, reader, both)
	t.Logf("both sites' NS in the parent %v after their syncers started", time.Since(started).Round(10*time.Millisecond))
	autoResolves(t, parent)
	sites[0].waitStatus(t, ns, delegation.StateRegistered, "")
	sites[0].expectGslbctl(t, ns, dir, 0, "registered")

	// Site A's syncer's own coredns-gslb stops while another of site A's
	// (a peer on the same address: two Pods behind one address) serves:
	// the site is ready, its NS stays past withdrawAfter.
	peer, peerSyncer := sites[0].startPeer(t, ns, dir)
	sites[0].dns.Stop()
	stopped := time.Now()
	sites[0].waitReadyBy(t, ns, delegation.ReadySiteDNS)
	held := autoHeld(t, reader, both, time.Until(stopped.Add(withdrawAfter+syncpush.DefaultResync+loadSlack)))
	t.Logf("site A's NS stayed in the parent over %d reads in the %v after its syncer's own DNS stopped, its peer serving",
		held, time.Since(stopped).Round(10*time.Millisecond))
	sites[0].waitStatus(t, ns, delegation.StateRegistered, "")

	// Every DNS of site A stopped: its NS leaves after withdrawAfter, not before.
	peer.Stop()
	stopped = time.Now()
	peerSyncer.Stop()
	autoWaitNS(t, reader, both[1:])
	took := time.Since(stopped)
	t.Logf("site A's NS left the parent %v after its last DNS stopped (configured %v)", took.Round(10*time.Millisecond), withdrawAfter)
	if took < withdrawAfter {
		t.Errorf("site A's NS left the parent %v after its DNS stopped, before the configured %v", took, withdrawAfter)
	}
	if took > withdrawAfter+syncpush.DefaultResync+loadSlack {
		t.Errorf("site A's NS left the parent %v after its DNS stopped, want within %v + %v (resync) + %v",
			took, withdrawAfter, syncpush.DefaultResync, loadSlack)
	}
	autoResolves(t, parent)
	// The metrics follow the read-back that comes after the update.
	sites[0].waitMetric(t, ns, "gslb_syncer_delegation_changes_total", map[string]string{"action": "withdraw"}, 1)

	// A back (its syncer pushes again): registered again.
	back := time.Now()
	sites[0].startDNS(t, ns)
	autoWaitNS(t, reader, both)
	t.Logf("site A's NS back in the parent %v after its DNS started", time.Since(back).Round(10*time.Millisecond))
	autoResolves(t, parent)
	sites[0].waitMetric(t, ns, "gslb_syncer_delegation_registered", nil, 1)
}

// autoSite is one site: coredns-gslb on ip:53, and its gslb-syncer (in the
// namespace, metrics on ip:9090) keeping its NS g-dns-NAME.iberia.local.
type autoSite struct {
	name, ip string
	corefile string
	sock     string
	members  string
	dns      *harness.Process
	syncer   *harness.Process
}

func (s *autoSite) key() string { return "gslb-" + s.name }
func (s *autoSite) nsName() string {
	return "g-dns-" + s.name + ".iberia.local."
}

func (s *autoSite) start(t *testing.T, ns *harness.NetNS, dir string) {
	t.Helper()
	s.sock = filepath.Join(harness.SocketDir(t), "gslb.sock")
	s.corefile = filepath.Join(dir, "Corefile-"+s.name)
	harness.WriteFile(t, s.corefile, fmt.Sprintf(`avi.iberia.local {
    bind %s
    gslb {
        soa %s hostmaster.iberia.local. minimum 4
        ns g-dns-a.iberia.local. 127.0.0.2
        ns g-dns-b.iberia.local. 127.0.0.4
        listen unix://%s
    }
}
`, s.ip, s.nsName(), s.sock))
	s.startDNS(t, ns)
	s.members = filepath.Join(dir, "members-"+s.name+".yaml")
	harness.WriteFile(t, s.members, delegMembersYAML)
}

func (s *autoSite) startDNS(t *testing.T, ns *harness.NetNS) {
	t.Helper()
	s.dns = harness.StartProcess(t, harness.Cmd{Name: "coredns-gslb-" + s.name, Path: harness.Bin(t, "coredns-gslb"),
		Dir: filepath.Dir(s.corefile), NetNS: ns, Args: []string{"-conf", s.corefile}})
}

// keep starts the site's gslb-syncer with --delegation: the TSIG key
// keyName with secret (written as tsig-keygen does), the parent BIND.
func (s *autoSite) keep(t *testing.T, ns *harness.NetNS, dir, keyName, secret string, withdrawAfter time.Duration) *harness.Process {
	t.Helper()
	keyFile := filepath.Join(dir, keyName+".key")
	harness.WriteFile(t, keyFile, fmt.Sprintf("key \"%s\" {\n\talgorithm hmac-sha256;\n\tsecret \"%s\";\n};\n", s.key(), secret))
	conf := filepath.Join(dir, "delegation-"+keyName+".yaml")
	harness.WriteFile(t, conf, fmt.Sprintf(`zone: avi.iberia.local
nameServer:
  name: %s
  addresses: [%s]
ttl: 30
withdrawAfter: %s
interval: 200ms
rfc2136:
  server: %s
  parentZone: iberia.local
  keyFile: %s
`, s.nsName(), s.ip, withdrawAfter, delegParentAddr, keyFile))
	return harness.StartProcess(t, harness.Cmd{Name: "gslb-syncer-" + keyName, Path: harness.Bin(t, "gslb-syncer"),
		Dir: dir, NetNS: ns, Args: []string{"--source", "file:" + s.members, "--push", "unix://" + s.sock,
			"--delegation", conf, "--metrics", s.ip + ":9090"}})
}

// startPeer starts another coredns-gslb of the site on its address (CoreDNS
// listens with SO_REUSEPORT, so both serve it, as two Pods behind one
// address) fed by its own gslb-syncer without --delegation, and waits until
// it holds its table.
func (s *autoSite) startPeer(t *testing.T, ns *harness.NetNS, dir string) (dns, syncer *harness.Process) {
	t.Helper()
	sock := filepath.Join(harness.SocketDir(t), "gslb.sock")
	corefile := filepath.Join(dir, "Corefile-"+s.name+"-peer")
	text, err := os.ReadFile(s.corefile)
	if err != nil {
		t.Fatal(err)
	}
	harness.WriteFile(t, corefile, strings.Replace(string(text), "unix://"+s.sock, "unix://"+sock, 1))
	dns = harness.StartProcess(t, harness.Cmd{Name: "coredns-gslb-" + s.name + "-peer", Path: harness.Bin(t, "coredns-gslb"),
		Dir: dir, NetNS: ns, Args: []string{"-conf", corefile}})
	syncer = harness.StartProcess(t, harness.Cmd{Name: "gslb-syncer-" + s.name + "-peer", Path: harness.Bin(t, "gslb-syncer"),
		Dir: dir, NetNS: ns, Args: []string{"--source", "file:" + s.members, "--push", "unix://" + sock}})
	autoWaitLog(t, syncer, "msg=applied")
	return dns, syncer
}

// waitReadyBy waits until the syncer's /status/delegation says which check
// found the site ready.
func (s *autoSite) waitReadyBy(t *testing.T, ns *harness.NetNS, by delegation.ReadyBy) {
	t.Helper()
	harness.Eventually(t, waitTimeout, func() error {
		code, b, err := ns.HTTPGet("http://" + s.ip + ":9090/status/delegation")
		if err != nil || code != 200 {
			return fmt.Errorf("site %s: /status/delegation: %d %q (%v)", s.name, code, b, err)
		}
		var st delegation.StatusAt
		if err := json.Unmarshal([]byte(b), &st); err != nil || len(st.Outputs) != 1 {
			return harness.Permanent(fmt.Errorf("site %s: /status/delegation: %v: %s", s.name, err, b))
		}
		if st.Outputs[0].ReadyBy != by {
			return fmt.Errorf("site %s: /status/delegation: %s, want readyBy %q", s.name, b, by)
		}
		return nil
	})
}

// metric is the sum of the syncer's series of name with the labels want.
func (s *autoSite) metric(t *testing.T, ns *harness.NetNS, name string, want map[string]string) float64 {
	t.Helper()
	return nsMetric(t, ns, "http://"+s.ip+":9090/metrics", name, want)
}

// waitMetric waits until the syncer's series of name with the labels
// want sum to value.
func (s *autoSite) waitMetric(t *testing.T, ns *harness.NetNS, name string, want map[string]string, value float64) {
	t.Helper()
	harness.Eventually(t, waitTimeout, func() error {
		v, err := nsMetricValue(ns, "http://"+s.ip+":9090/metrics", name, want)
		if err == nil && v != value {
			err = fmt.Errorf("site %s: %s%v = %v, want %v", s.name, name, want, v, value)
		}
		return err
	})
}

// waitStatus waits until the syncer's /status/delegation shows its one
// output (rfc2136) in state, its last error of reason ("": any), and
// returns the body.
func (s *autoSite) waitStatus(t *testing.T, ns *harness.NetNS, state delegation.OutputState, reason string) string {
	t.Helper()
	var body string
	harness.Eventually(t, waitTimeout, func() error {
		code, b, err := ns.HTTPGet("http://" + s.ip + ":9090/status/delegation")
		if err != nil || code != 200 {
			return fmt.Errorf("site %s: /status/delegation: %d %q (%v)", s.name, code, b, err)
		}
		body = b
		var st delegation.StatusAt
		if err := json.Unmarshal([]byte(b), &st); err != nil {
			return harness.Permanent(fmt.Errorf("site %s: /status/delegation: %v: %s", s.name, err, b))
		}
		if len(st.Outputs) != 1 || st.Outputs[0].Output != delegation.OutputRFC2136 {
			return harness.Permanent(fmt.Errorf("site %s: /status/delegation: want one rfc2136 output: %s", s.name, b))
		}
		o := st.Outputs[0]
		if o.State != state || reason != "" && (o.LastError == nil || o.LastError.Reason != reason) {
			return fmt.Errorf("site %s: /status/delegation: %s, want state %s (last error %q)", s.name, b, state, reason)
		}
		return nil
	})
	return body
}

// expectGslbctl runs gslbctl delegation against the site's syncer (in the
// namespace) and checks its exit code and that its output has each of want.
func (s *autoSite) expectGslbctl(t *testing.T, ns *harness.NetNS, dir string, code int, want ...string) {
	t.Helper()
	p := harness.StartProcess(t, harness.Cmd{Name: fmt.Sprintf("gslbctl-delegation-%s-%d", s.name, code), Path: harness.Bin(t, "gslbctl"), Dir: dir, NetNS: ns,
		Args: []string{"delegation", "--syncer", "http://" + s.ip + ":9090"}})
	if got := p.Wait(waitTimeout); got != code {
		t.Errorf("gslbctl delegation (site %s): exit %d, want %d\n%s", s.name, got, code, p.Tail(10))
	}
	out := delegLastRunOutput(p.Log())
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("gslbctl delegation (site %s) does not say %q:\n%s", s.name, w, out)
		}
	}
}

// autoReader is a Registrar that only reads the parent (in the namespace).
func autoReader(t *testing.T, ns *harness.NetNS, s *autoSite) *delegation.Registrar {
	t.Helper()
	reg, err := delegation.NewRegistrar(delegation.Config{
		Server: delegParentAddr, ParentZone: "iberia.local", Zone: zone, NS: s.nsName(),
		Addrs: []netip.Addr{netip.MustParseAddr(s.ip)},
		Key:   delegation.Key{Name: "reader", Secret: "cmVhZGVy"},
		Dial: func(ctx context.Context, network, addr string) (c net.Conn, err error) {
			ns.Do(func() { c, err = (&net.Dialer{}).DialContext(ctx, network, addr) })
			return c, err
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// autoWaitLog waits until p's log has text.
func autoWaitLog(t *testing.T, p *harness.Process, text string) {
	t.Helper()
	harness.Eventually(t, waitTimeout, func() error {
		if p.Exited() {
			return harness.Permanent(fmt.Errorf("%s exited: %s", p.Name, p.ExitText()))
		}
		if !strings.Contains(p.Log(), text) {
			return fmt.Errorf("%s has not logged %q yet", p.Name, text)
		}
		return nil
	})
}

// autoWriteParent writes BIND's configuration: authoritative for
// iberia.local, where each site's key may update only the zone's NS set and
// its own name server's addresses (update-policy, as deploy/delegation
// recommends), recursive for localhost.
// It returns the keys' secrets.
func autoWriteParent(t *testing.T, dir string) map[string]string {
	t.Helper()
	keys := map[string]string{}
	var conf strings.Builder
	for _, k := range []string{"gslb-a", "gslb-b"} {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		keys[k] = base64.StdEncoding.EncodeToString(b)
		fmt.Fprintf(&conf, "key %q { algorithm hmac-sha256; secret %q; };\n", k, keys[k])
	}
	conf.WriteString(harness.NamedOptions(dir, delegParentIP, "recursion yes;", "allow-recursion { localhost; };", "dnssec-validation no;"))
	conf.WriteString(`controls { };
zone "iberia.local" {
    type primary;
    file "db.iberia.local";
    update-policy {
        grant gslb-a name avi.iberia.local. NS;  grant gslb-a name g-dns-a.iberia.local. A AAAA;
        grant gslb-b name avi.iberia.local. NS;  grant gslb-b name g-dns-b.iberia.local. A AAAA;
    };
};
`)
	harness.WriteFile(t, filepath.Join(dir, "named.conf"), conf.String())
	harness.WriteFile(t, filepath.Join(dir, "db.iberia.local"), fmt.Sprintf(`$TTL 300
@       IN SOA  dc1.iberia.local. hostmaster.iberia.local. 1 3600 600 86400 60
@       IN NS   dc1.iberia.local.
dc1     IN A    %s
`, delegParentIP))
	return keys
}

// autoWaitNS waits until the parent's NS set for the zone is want.
func autoWaitNS(t *testing.T, reg *delegation.Registrar, want []string) {
	t.Helper()
	harness.Eventually(t, waitTimeout, func() error {
		st, err := reg.Read(context.Background())
		if err != nil {
			return err
		}
		if !slices.Equal(st.NS, want) {
			return fmt.Errorf("parent: %s, want NS %v", st, want)
		}
		return nil
	})
}

// autoHeld reads the parent's NS set for the zone until window has passed
// and fails on any read that is not want; it returns how many reads it made.
func autoHeld(t *testing.T, reg *delegation.Registrar, want []string, window time.Duration) int {
	t.Helper()
	end := time.Now().Add(window)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	reads := 0
	for ; time.Now().Before(end); <-tick.C {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		st, err := reg.Read(ctx)
		cancel()
		if err != nil {
			t.Fatalf("reading the parent: %v", err)
		}
		if reads++; !slices.Equal(st.NS, want) {
			t.Fatalf("read %d (%v before the window ends): the parent holds %s, want NS %v throughout", reads, time.Until(end).Round(10*time.Millisecond), st, want)
		}
	}
	if reads < 10 {
		t.Fatalf("only %d reads of the parent in %v", reads, window)
	}
	return reads
}

// autoResolves: hello resolves through BIND, five times in a row.
func autoResolves(t *testing.T, parent *delegClient) {
	t.Helper()
	ok := 0
	harness.Eventually(t, waitTimeout, func() error {
		r, err := parent.exchange(hello, dns.TypeA, true)
		if err == nil {
			_, err = delegResolvedA(r, hello)
		}
		if err != nil {
			ok = 0
			return err
		}
		if ok++; ok < 5 {
			return fmt.Errorf("%d answers in a row", ok)
		}
		return nil
	})
}
