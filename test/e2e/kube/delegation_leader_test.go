package kube

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gslbdns/gslb/syncer/delegation"
	"github.com/gslbdns/gslb/test/e2e/harness"
	"github.com/gslbdns/gslb/test/k8senv"
)

// The delegation of the leader gate's test: site A's name server, and the
// other site's, which the parent holds from the start.
const (
	delegNS       = "g-dns-a.iberia.local."
	delegOtherNS  = "g-dns-b.iberia.local."
	delegAddr     = "127.0.0.2"
	delegInterval = 200 * time.Millisecond
	delegWithdraw = 3 * time.Second
)

// TestKubeDelegationLeader: one site with two coredns-gslb+gslb-syncer
// pairs (kubernetes source, one probe-lease) given the same --delegation
// file, and real BIND 9 as the parent (iberia.local, an update-policy
// granting site A's key its NS and glue) already holding the other site's
// NS. Only the probe leader keeps the delegation: the parent is updated
// once (its serial goes 1 → 2), the leader counts one registration, the
// follower, ready for five intervals, has not even checked the parent
// (registered 0), and no error. The leader's syncer
// killed (its Lease not released), the follower takes the Lease and checks
// the parent (registered 1) without updating it; over the hand-over and
// withdrawAfter + two intervals after it, the parent's NS set never loses
// site A's NS and its serial stays 2: no withdrawal, no update.
func TestKubeDelegationLeader(t *testing.T) {
	named, _ := harness.EnsureBIND(t)
	conf := startDelegationParent(t, named)
	f, err := delegation.LoadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := delegation.NewRegistrar(*f.RFC2136)
	if err != nil {
		t.Fatal(err)
	}
	expectParent(t, reg, 1, delegOtherNS)

	l := startClusters(t)
	must(t, l.env.WriteKubeconfig(l.kcfg, k8senv.NonAdmin))
	spec := fmt.Sprintf("kubernetes:%s?members=s1az1,s1az2,s2&config=s1az1&grace=%s&probe=200ms&zones=avi.iberia.local%s", l.kcfg, grace, leaseSpec("syncer-a"))
	pairs := []*pair{startPair(t, "syncer-a", spec, nil, true, "--delegation", conf),
		startPair(t, "syncer-b", spec, nil, true, "--delegation", conf)}
	leader := l.roles(t, pairs)
	follower := pairs[0]
	if follower == leader {
		follower = pairs[1]
	}

	// The leader registers, once; the follower, ready, leaves it alone.
	started := time.Now()
	harness.Eventually(t, wait, func() error { return parentHolds(reg, delegNS, delegOtherNS) })
	t.Logf("site A's NS in the parent %v after the probe leader %s was known", time.Since(started).Round(10*time.Millisecond), leader.name)
	waitMetric(t, leader.s.Process, delegSeries("changes_total", "action", "register"), "1")
	waitMetric(t, leader.s.Process, delegSeries("registered", "", ""), "1")
	waitMetric(t, follower.s.Process, "gslb_syncer_delegation_ready", "1")
	// A window, not a synchronisation: ready, an ungated follower would
	// check the parent (registered 1) at its next interval.
	<-time.After(5 * delegInterval)
	expectParent(t, reg, 2, delegNS, delegOtherNS)
	expectNoUpdates(t, follower, "0")

	// The leader's syncer killed: the follower takes over, the NS stays.
	watch := watchParent(t, reg)
	killed := time.Now()
	leader.s.Kill()
	harness.Eventually(t, leaseDuration+handOverSlack, func() error {
		if h := l.probeHolder(t); h != follower.name {
			return fmt.Errorf("the probe Lease is held by %q", h)
		}
		if v := metricValue(t, follower.s.Process, delegSeries("registered", "", "")); v != "1" {
			return fmt.Errorf("%s leads but has not checked the parent (registered %q)", follower.name, v)
		}
		return nil
	})
	t.Logf("leader %s killed: %s leads and found the NS in place %v later (lease duration %v)",
		leader.name, follower.name, time.Since(killed).Round(10*time.Millisecond), leaseDuration)
	// A window, not a synchronisation: a withdrawal the hand-over caused
	// would come within withdrawAfter of it, checked every interval.
	<-time.After(delegWithdraw + 2*delegInterval)
	samples, lost := watch()
	if len(lost) > 0 || samples < 10 {
		t.Errorf("the parent, read %d times from the kill to %v after the hand-over: site A's NS missing or wrong %d times: %v",
			samples, delegWithdraw+2*delegInterval, len(lost), lost)
	}
	t.Logf("the parent read %d times over the hand-over: site A's NS there every time", samples)
	expectParent(t, reg, 2, delegNS, delegOtherNS)
	expectNoUpdates(t, follower, "1")
}

// startDelegationParent starts BIND 9 on a loopback port as the parent
// zone iberia.local, whose delegation of avi.iberia.local names the other
// site's server, updatable by site A's key for its NS and glue only; it
// returns site A's delegation file.
func startDelegationParent(t *testing.T, named string) string {
	t.Helper()
	dir := t.TempDir()
	port := harness.FreePort(t)
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		t.Fatal(err)
	}
	key := fmt.Sprintf("key \"gslb-site-a\" {\n\talgorithm hmac-sha256;\n\tsecret %q;\n};\n", base64.StdEncoding.EncodeToString(secret))
	keyFile := filepath.Join(dir, "gslb-site-a.key")
	harness.WriteFile(t, keyFile, key)
	harness.WriteFile(t, filepath.Join(dir, "named.conf"), key+fmt.Sprintf(`options {
    directory %q;
    pid-file none;
    session-keyfile none;
    listen-on port %d { 127.0.0.1; };
    listen-on-v6 { none; };
    recursion no;
    dnssec-validation no;
};
controls { };
zone "iberia.local" {
    type primary;
    file "db.iberia.local";
    update-policy {
        grant gslb-site-a name avi.iberia.local. NS;
        grant gslb-site-a name g-dns-a.iberia.local. A AAAA;
    };
};
`, dir, port))
	harness.WriteFile(t, filepath.Join(dir, "db.iberia.local"), `$TTL 300
@        IN SOA dc1.iberia.local. hostmaster.iberia.local. 1 3600 600 86400 60
@        IN NS  dc1.iberia.local.
dc1      IN A   127.0.0.1
avi      IN NS  g-dns-b.iberia.local.
g-dns-b  IN A   127.0.0.4
`)
	server := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	conf := filepath.Join(dir, "delegation.yaml")
	harness.WriteFile(t, conf, fmt.Sprintf(`zone: avi.iberia.local
nameServer: {name: %s, addresses: [%s]}
ttl: 30
withdrawAfter: %s
interval: %s
rfc2136: {server: "%s", parentZone: iberia.local, keyFile: %s}
`, delegNS, delegAddr, delegWithdraw, delegInterval, server, keyFile))
	proc := harness.StartNamed(t, nil, named, "named", dir, filepath.Join(dir, "named.conf"))
	harness.WaitAuthoritative(t, nil, proc, server, "iberia.local.")
	return conf
}

// parentHolds reports whether the parent's NS set for the zone is ns and
// site A's glue its address.
func parentHolds(reg *delegation.Registrar, ns ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := reg.Read(ctx)
	if err != nil {
		return err
	}
	wantAddrs := "[]"
	if slices.Contains(ns, delegNS) {
		wantAddrs = "[" + delegAddr + "]"
	}
	if !slices.Equal(st.NS, ns) || fmt.Sprint(st.Addrs) != wantAddrs {
		return fmt.Errorf("the parent holds %s, want NS %v and site A's addresses %s", st, ns, wantAddrs)
	}
	return nil
}

// expectParent checks the parent's NS set and its serial: how many updates
// it took (one per update).
func expectParent(t *testing.T, reg *delegation.Registrar, serial uint32, ns ...string) {
	t.Helper()
	if err := parentHolds(reg, ns...); err != nil {
		t.Fatal(err)
	}
	st, err := reg.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Serial != serial {
		t.Errorf("the parent's serial is %d, want %d: it was updated %d times, want %d", st.Serial, serial, st.Serial-1, serial-1)
	}
}

// expectNoUpdates checks that p's syncer changed nothing in the parent and
// met no error; registered is its registered gauge (0 while it followed).
func expectNoUpdates(t *testing.T, p *pair, registered string) {
	t.Helper()
	for series, want := range map[string]string{
		delegSeries("changes_total", "action", "register"): "0",
		delegSeries("changes_total", "action", "withdraw"): "0",
		delegSeries("registered", "", ""):                  registered,
	} {
		if v := metricValue(t, p.s.Process, series); v != want {
			t.Errorf("%s: %s = %q, want %s", p.name, series, v, want)
		}
	}
	for _, r := range delegation.Reasons {
		if v := metricValue(t, p.s.Process, delegSeries("errors_total", "reason", r)); v != "0" {
			t.Errorf("%s: delegation errors with reason %s: %q, want 0", p.name, r, v)
		}
	}
}

// delegSeries is a gslb_syncer_delegation_ series of the rfc2136 output,
// with one more label (label "" for none).
func delegSeries(name, label, value string) string {
	switch label {
	case "":
		return fmt.Sprintf(`gslb_syncer_delegation_%s{output="rfc2136"}`, name)
	case "action":
		return fmt.Sprintf(`gslb_syncer_delegation_%s{action=%q,output="rfc2136"}`, name, value)
	}
	return fmt.Sprintf(`gslb_syncer_delegation_%s{output="rfc2136",%s=%q}`, name, label, value)
}

// watchParent reads the parent every 50 ms until the returned function is
// called, which returns how many reads there were and what each read that
// did not show both sites' NS (and site A's glue) saw.
func watchParent(t *testing.T, reg *delegation.Registrar) func() (int, []string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var (
		mu      sync.Mutex
		samples int
		lost    []string
		wg      sync.WaitGroup
	)
	wg.Go(func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			err := parentHolds(reg, delegNS, delegOtherNS)
			mu.Lock()
			samples++
			if err != nil {
				lost = append(lost, time.Now().Format("15:04:05.000")+": "+err.Error())
			}
			mu.Unlock()
		}
	})
	t.Cleanup(cancel)
	return func() (int, []string) {
		cancel()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		return samples, lost
	}
}
