package kube

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/test/e2e/harness"
	"github.com/gslbdns/gslb/test/k8senv"
	"github.com/gslbdns/gslb/test/kubescenario"
	"github.com/gslbdns/gslb/test/testca"

	"github.com/miekg/dns"
)

// writeSyncerTLS writes the site's mutual-TLS files for the health stream,
// as the deployments' Secret holds them: a CA and one certificate for the
// DNS name gslb-syncer, both ways. It returns the flags.
func writeSyncerTLS(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	ca, err := testca.New("gslb-syncer test CA")
	if err != nil {
		t.Fatal(err)
	}
	p, err := ca.Issue(testca.Leaf{Name: "gslb-syncer", Server: true, Client: true, Hosts: []string{"gslb-syncer"}})
	if err != nil {
		t.Fatal(err)
	}
	crt, key, caFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"), filepath.Join(dir, "ca.crt")
	must(t, p.Write(crt, key))
	must(t, os.WriteFile(caFile, ca.CertPEM, 0o644))
	return []string{"--tls-cert", crt, "--tls-key", key, "--tls-ca", caFile}
}

// startPodPair starts a syncer named name pushing to c (a new coredns-gslb
// when nil) as the DaemonSet runs it: sharing the site's probes over
// mutual TLS, listening on every address (--health-listen :0, this test's
// network namespace has loopback only) and advertising $POD_IP.
func startPodPair(t *testing.T, name, spec string, c *harness.CoreDNS, tlsFlags []string) *pair {
	t.Helper()
	if c == nil {
		c = harness.StartCoreDNS(t, corefmt, nil)
	}
	spec = strings.Replace(spec, "identity=syncer-a", "identity="+name, 1)
	spec += fmt.Sprintf("&probe-lease=%s/%s", kubescenario.PolicyNS, probeLease)
	args := append([]string{"--source", spec, "--push", "unix://" + c.Sock, "--health-listen", ":0"}, tlsFlags...)
	p := harness.StartProcess(t, harness.Cmd{Name: "gslb-syncer-" + name, Path: harness.Bin(t, "gslb-syncer"), Args: args,
		Env: append(os.Environ(), "POD_IP=127.0.0.1")})
	return &pair{name: name, c: c, s: &harness.Syncer{Process: p}}
}

// on is the lab seen through another pair's coredns-gslb: its queries and
// table are that plugin's.
func (l *lab) on(t *testing.T, p *pair) *lab {
	t.Helper()
	v := *l
	v.c, v.dns = p.c, harness.Dial(t, p.c.Addr, "udp")
	return &v
}

// waitRole waits until p's syncer shows role in gslb_syncer_probe_role.
func waitRole(t *testing.T, p *pair, role string, within time.Duration) {
	t.Helper()
	harness.Eventually(t, within, func() error {
		if !strings.Contains(p.s.Log(), `msg="serving metrics"`) {
			return fmt.Errorf("%s does not serve its metrics yet", p.name)
		}
		if v := metricValue(t, p.s.Process, fmt.Sprintf(`gslb_syncer_probe_role{role=%q}`, role)); v != "1" {
			return fmt.Errorf("%s is not %s", p.name, role)
		}
		return nil
	})
}

// gslbctl probes runs gslbctl probes on the pairs' syncers.
func gslbctlProbes(t *testing.T, pairs ...*pair) string {
	t.Helper()
	args := []string{"probes"}
	for _, p := range pairs {
		m := regexp.MustCompile(`msg="serving metrics" url=(\S+)`).FindStringSubmatch(p.s.Log())
		if m == nil {
			t.Fatalf("%s did not log its metrics address", p.name)
		}
		args = append(args, "--syncer", m[1])
	}
	out, err := exec.Command(harness.Bin(t, "gslbctl"), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("gslbctl probes: %v\n%s", err, out)
	}
	t.Logf("gslbctl probes:\n%s", out)
	return string(out)
}

// TestKubeSharedProbesConfigOutage: one site, two coredns-gslb+gslb-syncer
// pairs sharing the probes as the DaemonSet runs them; the config
// cluster's apiserver (s1az1) killed, health is still decided: a demo site
// stopped leaves both plugins within interval × fall + 1 s, every round
// exact, never NXDOMAIN or SERVFAIL; back, it returns in both; all along the
// leader, unable to renew its Lease, probes alone and its follower follows
// it (one site's probes); the apiserver back, the site has one leader, one
// follower and one site's probes again; before that, the leader killed too,
// its follower probes alone after the lease duration and still drops a
// stopped site within interval × fall + 1 s. Before the fix the leader followed
// itself (it listens on every address and advertises $POD_IP) and the
// site's health froze for a lease duration at a time.
func TestKubeSharedProbesConfigOutage(t *testing.T) {
	// grace: s1az1 is a member too, and its member must stay for the outage.
	l := startLabGrace(t, 10*time.Minute, "members=s1az1,s1az2,s2&", func(l *lab) error { return l.env.WriteKubeconfig(l.kcfg, k8senv.NonAdmin) },
		leaseSpec("syncer-a"))
	sites := startSites(t)
	l.waitSet(t, hello, dns.TypeA, 12, "127.0.0.11,127.0.0.12,127.0.0.13")
	l.patchPolicy(t, kubescenario.GDPName, fmt.Sprintf(`{"spec":{"healthCheck":{"type":"HTTP","port":%d,"path":"/","interval":"%s","timeout":"800ms","rise":2,"fall":%d}}}`,
		sites.port, probeInterval, probeFall))
	l.waitProbedUp(t, 3)
	l.settled(t)

	spec, tlsFlags := l.syncerArgs[1], writeSyncerTLS(t)
	l.s.Stop()
	pairs := []*pair{startPodPair(t, "syncer-a", spec, l.c, tlsFlags), startPodPair(t, "syncer-b", spec, nil, tlsFlags)}
	leader := l.roles(t, pairs)
	follower := pairs[0]
	if follower == leader {
		follower = pairs[1]
	}
	views := map[*pair]*lab{}
	for _, p := range pairs {
		views[p] = l.on(t, p)
		views[p].waitProbedUp(t, 3)
	}
	expectProbers(t, "two pairs sharing", 1, probesPerInterval(sites))

	config := l.env.Cluster("s1az1")
	must(t, config.Stop())
	// The leader's Lease cannot be renewed: after lease-renew it has lost it.
	harness.Eventually(t, leaseDuration+handOverSlack, func() error {
		if !strings.Contains(leader.s.Log(), `msg="probe leader: lost the lease`) {
			return fmt.Errorf("%s has not lost the probe Lease", leader.name)
		}
		return nil
	})
	for _, p := range pairs {
		views[p].exactRounds(t, 3*time.Second)
	}

	t.Run("a demo site stopped leaves both plugins", func(t *testing.T) {
		dropped := stopAndTimeDrop(t, l.ctx, sites, pairs, "127.0.0.12")
		t.Logf("config cluster down, 127.0.0.12 stopped: down in the plugins after %v (leader %s)", dropped, leader.name)
		for _, p := range pairs {
			views[p].exactRoundsOf(t, 5*time.Second, map[string]int{kubescenario.LBAddress["s1az1"]: 6, kubescenario.LBAddress["s2"]: 2})
		}
	})

	t.Run("the demo site back returns in both plugins", func(t *testing.T) {
		must(t, sites.start("127.0.0.12"))
		for _, p := range pairs {
			views[p].waitProbedUp(t, 3)
		}
		for _, p := range pairs {
			views[p].exactRounds(t, 5*time.Second)
		}
	})

	t.Run("all along: the leader probes alone, its follower follows it", func(t *testing.T) {
		waitRole(t, leader, "alone", time.Second)
		waitRole(t, follower, "follower", time.Second)
		expectProbers(t, "config cluster down", 1, probesPerInterval(sites))
		if n := strings.Count(follower.s.Log(), "lost the leader's stream"); n != 0 {
			t.Errorf("%s lost the leader's stream %d times during the outage", follower.name, n)
		}
		out := gslbctlProbes(t, leader, follower)
		for _, row := range []string{`(?m)^\S+ +alone +yes +127\.0\.0\.1:\d+ \(itself\)$`, `(?m)^\S+ +follower +no +127\.0\.0\.1:\d+$`} {
			if !regexp.MustCompile(row).MatchString(out) {
				t.Errorf("gslbctl probes lacks a row %s:\n%s", row, out)
			}
		}
	})

	t.Run("the leader lost too: its follower probes alone", func(t *testing.T) {
		killed := time.Now()
		leader.s.Kill()
		waitRole(t, follower, "alone", leaseDuration+handOverSlack)
		t.Logf("the leader killed: %s probes alone after %v (lease duration %v)", follower.name, time.Since(killed).Round(100*time.Millisecond), leaseDuration)
		expectProbers(t, "config cluster down, the follower alone", 1, probesPerInterval(sites))
		stopped := time.Now()
		sites.stop("127.0.0.13")
		harness.Eventually(t, wait, func() error {
			if h := pluginHealth(t, l.ctx, follower.c, "127.0.0.13"); h != gslbv1.Health_HEALTH_DOWN {
				return fmt.Errorf("%s's plugin: the stopped 127.0.0.13 is %v", follower.name, h)
			}
			return nil
		})
		if d, bound := time.Since(stopped), probeFall*probeInterval+time.Second; d > bound {
			t.Errorf("%s's plugin dropped the stopped site after %v, want within interval × fall + 1 s = %v", follower.name, d, bound)
		}
		views[follower].exactRoundsOf(t, 3*time.Second, map[string]int{kubescenario.LBAddress["s1az1"]: 6, kubescenario.LBAddress["s1az2"]: 4})
		must(t, sites.start("127.0.0.13"))
		views[follower].waitProbedUp(t, 3)
	})

	t.Run("the config apiserver back: one prober per site again", func(t *testing.T) {
		must(t, config.Restart())
		restarted := startPodPair(t, leader.name, spec, leader.c, tlsFlags)
		views[restarted] = l.on(t, restarted)
		pairs = []*pair{restarted, follower}
		next := l.roles(t, pairs)
		t.Logf("config cluster back: %s leads the probes (%s did before the outage)", next.name, leader.name)
		expectProbers(t, "config cluster back", 1, probesPerInterval(sites))
		for _, p := range pairs {
			views[p].waitProbedUp(t, 3)
			views[p].exactRounds(t, 3*time.Second)
		}
	})
}
