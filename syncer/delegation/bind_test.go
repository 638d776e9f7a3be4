package delegation

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gslbdns/gslb/test/e2e/harness"
)

// TestWithBIND runs two sites' Registrars against real BIND 9 as the parent
// (iberia.local, `allow-update { key … }`, on a loopback port): each
// registers its NS and glue, idempotently; a Keeper withdraws site A after
// it has not been ready for the configured time, and registers it again
// when it is back; site B, then the last NS, is never withdrawn; a wrong key
// gets a clear error and leaves the parent unchanged.
func TestWithBIND(t *testing.T) {
	t.Parallel()
	p := startParent(t)
	a := p.registrar(t, "gslb-a", p.keys["gslb-a"], "g-dns-a.iberia.local", "127.0.0.2", "2001:db8::a")
	b := p.registrar(t, "gslb-b", p.keys["gslb-b"], "g-dns-b.iberia.local", "127.0.0.3")
	ctx := context.Background()

	// Register A: changed once, then nothing to do (the serial stays).
	mustChange(t, "register A", true)(a.Register(ctx))
	st := p.read(t, a)
	if !slices.Equal(st.NS, []string{"g-dns-a.iberia.local."}) || fmt.Sprint(st.Addrs) != "[127.0.0.2 2001:db8::a]" {
		t.Fatalf("after registering A: %s", st)
	}
	mustChange(t, "register A again", false)(a.Register(ctx))
	if again := p.read(t, a); again.Serial != st.Serial {
		t.Errorf("an idempotent register changed the serial %d → %d", st.Serial, again.Serial)
	}
	mustChange(t, "register B", true)(b.Register(ctx))
	if st := p.read(t, b); !slices.Equal(st.NS, []string{"g-dns-a.iberia.local.", "g-dns-b.iberia.local."}) {
		t.Fatalf("after registering B: %s", st)
	}

	// A moves to another address: its glue is replaced whole.
	a2 := p.registrar(t, "gslb-a", p.keys["gslb-a"], "g-dns-a.iberia.local", "127.0.0.4")
	mustChange(t, "register A at a new address", true)(a2.Register(ctx))
	if st := p.read(t, a2); fmt.Sprint(st.Addrs) != "[127.0.0.4]" {
		t.Errorf("A's glue after the move: %v, want [127.0.0.4]", st.Addrs)
	}

	t.Run("keeper withdraws and registers again", func(t *testing.T) { keeperCycle(t, p, a2) })

	// B alone would be the last NS: never withdrawn.
	mustChange(t, "withdraw A", true)(a2.Withdraw(ctx))
	before := p.read(t, b)
	if changed, err := b.Withdraw(ctx); !errors.Is(err, ErrLastNS) || changed {
		t.Errorf("withdraw of the last NS: changed %v, %v; want ErrLastNS", changed, err)
	}
	if after := p.read(t, b); after.String() != before.String() {
		t.Errorf("the parent changed on a refused withdrawal: %s → %s", before, after)
	}

	// An NS outside the parent zone: its NS record only, no addresses.
	ext := p.registrar(t, "gslb-a", p.keys["gslb-a"], "ns.example.net")
	mustChange(t, "register an NS outside the parent", true)(ext.Register(ctx))
	if st := p.read(t, ext); !slices.Equal(st.NS, []string{"g-dns-b.iberia.local.", "ns.example.net."}) || len(st.Addrs) != 0 {
		t.Errorf("after registering ns.example.net: %s", st)
	}
	mustChange(t, "withdraw it", true)(ext.Withdraw(ctx))

	t.Run("unsigned", func(t *testing.T) { unsigned(t, p) })

	// A wrong secret for a known key, and an unknown key: refused, named.
	for _, k := range []Key{{Name: "gslb-a", Secret: base64.StdEncoding.EncodeToString([]byte("not the secret of gslb-a, 32 by"))}, {Name: "gslb-x", Secret: p.keys["gslb-a"]}} {
		bad := p.registrar(t, k.Name, k.Secret, "g-dns-c.iberia.local", "127.0.0.5")
		before := p.read(t, b)
		_, err := bad.Register(ctx)
		var ue *UpdateError
		if !errors.As(err, &ue) || ue.Rcode == 0 {
			t.Errorf("register with key %s (wrong secret or unknown): %v, want an UpdateError", k.Name, err)
		} else {
			t.Logf("key %s: %v", k.Name, err)
		}
		if after := p.read(t, b); after.String() != before.String() {
			t.Errorf("the parent changed on a refused update: %s → %s", before, after)
		}
	}
}

// unsigned: an unsigned update is taken by a zone that allows this
// address (as Windows DNS with nonsecure updates would), and REFUSED by
// one that wants a key, the parent unchanged.
func unsigned(t *testing.T, p *parent) {
	ctx := context.Background()
	open, err := NewRegistrar(Config{Server: p.addr, ParentZone: "open.local", Zone: "avi.open.local", NS: "g-dns-a.open.local",
		Addrs: []netip.Addr{netip.MustParseAddr("127.0.0.2")}, Unsigned: true})
	if err != nil {
		t.Fatal(err)
	}
	mustChange(t, "unsigned register in open.local", true)(open.Register(ctx))
	if st := p.read(t, open); !st.registered(open.cfg) {
		t.Errorf("after the unsigned register: %s", st)
	}
	keyed, err := NewRegistrar(Config{Server: p.addr, ParentZone: "iberia.local", Zone: "avi.iberia.local", NS: "g-dns-u.iberia.local",
		Addrs: []netip.Addr{netip.MustParseAddr("127.0.0.9")}, Unsigned: true})
	if err != nil {
		t.Fatal(err)
	}
	before := p.read(t, keyed)
	_, err = keyed.Register(ctx)
	if Reason(err) != ReasonRefused {
		t.Errorf("unsigned register in iberia.local (keys only): %v (reason %q), want REFUSED", err, Reason(err))
	}
	if after := p.read(t, keyed); after.String() != before.String() {
		t.Errorf("the parent changed on a refused update: %s → %s", before, after)
	}
}

// keeperCycle: A's DNS stops being ready; the Keeper withdraws its NS no
// sooner than WithdrawAfter and within a few checks after; back ready, the
// NS and glue return.
func keeperCycle(t *testing.T, p *parent, a *Registrar) {
	const withdrawAfter = 2 * time.Second
	var ready atomic.Bool
	ready.Store(true)
	events := make(chan Event, 16)
	k := &Keeper{Registrar: a, Ready: func(context.Context) ReadyBy { return readyBy(ready.Load()) }, WithdrawAfter: withdrawAfter, Interval: 100 * time.Millisecond,
		Report: func(e Event) {
			if e.Changed || e.Err != nil { // every step is reported; these are the news
				events <- e
			}
		}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { k.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	stopped := time.Now()
	ready.Store(false)
	harness.Eventually(t, withdrawAfter+30*time.Second, func() error {
		if st := p.read(t, a); slices.Contains(st.NS, a.cfg.NS) {
			return fmt.Errorf("A still in the parent: %s", st)
		}
		return nil
	})
	if took := time.Since(stopped); took < withdrawAfter {
		t.Errorf("A withdrawn %v after it stopped being ready, before the configured %v", took, withdrawAfter)
	} else {
		t.Logf("A withdrawn %v after it stopped being ready (configured %v)", took.Round(time.Millisecond), withdrawAfter)
	}
	if e := <-events; e.Action != Withdraw || !e.Changed || e.Err != nil {
		t.Errorf("reported %+v, want a withdrawal", e)
	}
	ready.Store(true)
	harness.Eventually(t, 30*time.Second, func() error {
		if st := p.read(t, a); !st.registered(a.cfg) {
			return fmt.Errorf("A not back in the parent: %s", st)
		}
		return nil
	})
	if e := <-events; e.Action != Register || !e.Changed || e.Err != nil {
		t.Errorf("reported %+v, want a registration", e)
	}
}

func mustChange(t *testing.T, what string, want bool) func(bool, error) {
	return func(changed bool, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if changed != want {
			t.Fatalf("%s: changed %v, want %v", what, changed, want)
		}
	}
}

// parent is BIND serving iberia.local on a loopback port, updatable with
// the keys gslb-a and gslb-b.
type parent struct {
	addr string
	keys map[string]string
}

func startParent(t *testing.T) *parent {
	t.Helper()
	named := ensureNamed(t)
	dir := t.TempDir()
	port := harness.FreePort(t)
	p := &parent{addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), keys: map[string]string{}}
	conf := ""
	for _, k := range []string{"gslb-a", "gslb-b"} {
		secret := make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			t.Fatal(err)
		}
		p.keys[k] = base64.StdEncoding.EncodeToString(secret)
		conf += fmt.Sprintf("key %q { algorithm hmac-sha256; secret %q; };\n", k, p.keys[k])
	}
	conf += fmt.Sprintf(`options {
    directory %q;
    pid-file none;
    session-keyfile none;
    listen-on port %d { 127.0.0.1; };
    listen-on-v6 { none; };
    recursion no;
    dnssec-validation no;
};
controls { };
zone "iberia.local" { type primary; file "db.iberia.local"; allow-update { key "gslb-a"; key "gslb-b"; }; };
zone "open.local" { type primary; file "db.open.local"; allow-update { 127.0.0.1; }; };
`, dir, port)
	harness.WriteFile(t, filepath.Join(dir, "named.conf"), conf)
	harness.WriteFile(t, filepath.Join(dir, "db.iberia.local"), `$TTL 300
@       IN SOA  dc1.iberia.local. hostmaster.iberia.local. 1 3600 600 86400 60
@       IN NS   dc1.iberia.local.
dc1     IN A    127.0.0.1
`)
	harness.WriteFile(t, filepath.Join(dir, "db.open.local"), `$TTL 300
@       IN SOA  dc1.iberia.local. hostmaster.iberia.local. 1 3600 600 86400 60
@       IN NS   dc1.iberia.local.
`)
	proc := harness.StartProcess(t, harness.Cmd{Name: "named", Path: named, Dir: dir, Args: []string{"-g", "-4", "-c", filepath.Join(dir, "named.conf")}})
	probe := p.registrar(t, "gslb-a", p.keys["gslb-a"], "g-dns-a.iberia.local", "127.0.0.2")
	harness.Eventually(t, harness.StartTimeout, func() error {
		if proc.Exited() {
			return harness.Permanent(fmt.Errorf("named exited: %s", proc.ExitText()))
		}
		_, err := probe.Read(context.Background())
		return err
	})
	return p
}

func (p *parent) registrar(t *testing.T, key, secret, ns string, addrs ...string) *Registrar {
	t.Helper()
	cfg := Config{Server: p.addr, ParentZone: "iberia.local", Zone: "avi.iberia.local", NS: ns, TTL: 60,
		Key: Key{Name: key, Secret: secret}}
	for _, a := range addrs {
		cfg.Addrs = append(cfg.Addrs, netip.MustParseAddr(a))
	}
	r, err := NewRegistrar(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (p *parent) read(t *testing.T, r *Registrar) State {
	t.Helper()
	st, err := r.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// ensureNamed returns the path of named, installing Debian's bind9 through
// test/tools/ensure-deb.sh when missing; it never skips.
func ensureNamed(t *testing.T) string {
	t.Helper()
	script := filepath.Join(harness.RepoRoot(t), "test", "tools", "ensure-deb.sh")
	if out, err := exec.Command(script, "named", "bind9").CombinedOutput(); err != nil {
		if _, err2 := exec.LookPath("/usr/sbin/named"); err2 != nil {
			t.Fatalf("named is missing and `%s named bind9` failed: %v\n%s", script, err, out)
		}
	}
	for _, p := range []string{"named", "/usr/sbin/named"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	t.Fatal("named still missing after installing Debian package bind9")
	return ""
}
