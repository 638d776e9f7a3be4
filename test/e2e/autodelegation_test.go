package e2e

import (
	"context"
	"crypto/rand"
	"encoding/base64"
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
	"github.com/gslbdns/gslb/test/e2e/harness"

	"github.com/miekg/dns"
)

// TestAutoDelegation: two sites, each a coredns-gslb fed by its own
// gslb-syncer, keep their NS records in the parent (BIND 9, `allow-update
// { key … }`) with syncer/delegation's Keeper, driven by the site's /ready.
// (The Keeper is not wired into gslb-syncer yet: the test runs it.) Both
// register and hello resolves through BIND; site A's coredns-gslb stopped,
// its NS leaves the parent after the configured time, not before, and
// resolution continues through B; A back, its NS is back.
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
	for _, s := range sites {
		s.start(t, ns, dir)
	}
	const withdrawAfter = 3 * time.Second
	for _, s := range sites {
		s.keep(t, ns, keys[s.key()], withdrawAfter)
	}
	both := []string{"g-dns-a.iberia.local.", "g-dns-b.iberia.local."}
	autoWaitNS(t, sites[1].reg, both)
	autoResolves(t, parent)

	// Site A's DNS stops: its NS leaves after withdrawAfter, not before.
	stopped := time.Now()
	sites[0].dns.Stop()
	autoWaitNS(t, sites[1].reg, both[1:])
	took := time.Since(stopped)
	t.Logf("site A's NS left the parent %v after its DNS stopped (configured %v)", took.Round(10*time.Millisecond), withdrawAfter)
	if took < withdrawAfter {
		t.Errorf("site A's NS left the parent %v after its DNS stopped, before the configured %v", took, withdrawAfter)
	}
	if took > withdrawAfter+loadSlack {
		t.Errorf("site A's NS left the parent %v after its DNS stopped, want within %v + %v", took, withdrawAfter, loadSlack)
	}
	autoResolves(t, parent)

	// A back (its syncer pushes again): registered again.
	sites[0].startDNS(t, ns)
	autoWaitNS(t, sites[1].reg, both)
	autoResolves(t, parent)
}

// autoSite is one site: coredns-gslb on ip:53 with /ready on ip:8181, its
// syncer, and the Keeper of its NS g-dns-NAME.iberia.local.
type autoSite struct {
	name, ip string
	corefile string
	dns      *harness.Process
	reg      *delegation.Registrar
}

func (s *autoSite) key() string { return "gslb-" + s.name }
func (s *autoSite) nsName() string {
	return "g-dns-" + s.name + ".iberia.local."
}

func (s *autoSite) start(t *testing.T, ns *harness.NetNS, dir string) {
	t.Helper()
	sock := filepath.Join(harness.SocketDir(t), "gslb.sock")
	s.corefile = filepath.Join(dir, "Corefile-"+s.name)
	harness.WriteFile(t, s.corefile, fmt.Sprintf(`avi.iberia.local {
    bind %s
    gslb {
        soa %s hostmaster.iberia.local. minimum 4
        ns g-dns-a.iberia.local. 127.0.0.2
        ns g-dns-b.iberia.local. 127.0.0.4
        listen unix://%s
    }
    ready %s:8181
}
`, s.ip, s.nsName(), sock, s.ip))
	s.startDNS(t, ns)
	yaml := filepath.Join(dir, "members-"+s.name+".yaml")
	harness.WriteFile(t, yaml, delegMembersYAML)
	harness.StartSyncer(t, "--source", "file:"+yaml, "--push", "unix://"+sock)
}

func (s *autoSite) startDNS(t *testing.T, ns *harness.NetNS) {
	t.Helper()
	s.dns = harness.StartProcess(t, harness.Cmd{Name: "coredns-gslb-" + s.name, Path: harness.Bin(t, "coredns-gslb"),
		Dir: filepath.Dir(s.corefile), NetNS: ns, Args: []string{"-conf", s.corefile}})
}

// keep starts the site's Keeper: ready while its /ready answers 200.
func (s *autoSite) keep(t *testing.T, ns *harness.NetNS, secret string, withdrawAfter time.Duration) {
	t.Helper()
	reg, err := delegation.NewRegistrar(delegation.Config{
		Server: delegParentAddr, ParentZone: "iberia.local", Zone: zone, NS: s.nsName(), TTL: 30,
		Addrs: []netip.Addr{netip.MustParseAddr(s.ip)},
		Key:   delegation.Key{Name: s.key(), Secret: secret},
		Dial: func(ctx context.Context, network, addr string) (c net.Conn, err error) {
			ns.Do(func() { c, err = (&net.Dialer{}).DialContext(ctx, network, addr) })
			return c, err
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	s.reg = reg
	k := &delegation.Keeper{
		Registrar: reg, WithdrawAfter: withdrawAfter, Interval: 200 * time.Millisecond, MaxBackoff: time.Second,
		Ready: func() bool {
			code, _, err := ns.HTTPGet("http://" + s.ip + ":8181/ready")
			return err == nil && code == 200
		},
		Report: func(e delegation.Event) { t.Logf("site %s: %s changed=%v err=%v", s.name, e.Action, e.Changed, e.Err) },
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { k.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// autoWriteParent writes BIND's configuration: authoritative for
// iberia.local (updatable with the sites' keys), recursive for localhost.
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
zone "iberia.local" { type primary; file "db.iberia.local"; allow-update { key "gslb-a"; key "gslb-b"; }; };
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
