package kube

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gslbdns/gslb/test/e2e/harness"
	"github.com/gslbdns/gslb/test/k8senv"
	"github.com/gslbdns/gslb/test/kubescenario"

	"github.com/miekg/dns"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
)

// writeMembers writes, as the syncer's non-admin kubeconfig, one context per
// cluster of ctxs, with token[cluster] where given; atomically, as the
// kubelet updates a mounted Secret (written beside, then renamed).
func (l *lab) writeMembers(t *testing.T, ctxs []string, token map[string]string) {
	t.Helper()
	if err := writeMembersFile(l, ctxs, token); err != nil {
		t.Fatal(err)
	}
}

func writeMembersFile(l *lab, ctxs []string, token map[string]string) error {
	kc := l.env.Kubeconfig(k8senv.NonAdmin)
	for name, c := range kc.Contexts {
		if !slices.Contains(ctxs, name) {
			delete(kc.Contexts, name)
			delete(kc.AuthInfos, c.AuthInfo)
			delete(kc.Clusters, c.Cluster)
			continue
		}
		if tok, ok := token[name]; ok {
			kc.AuthInfos[c.AuthInfo].Token = tok
		}
	}
	b, err := clientcmd.Write(*kc)
	if err != nil {
		return err
	}
	tmp := filepath.Join(filepath.Dir(l.kcfg), ".kubeconfig.tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, l.kcfg)
}

// steady checks that name's answers stay want for d.
func (l *lab) steady(t *testing.T, name string, n int, want string, d time.Duration) {
	t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if c, _, _ := l.answers(t, name, dns.TypeA, n); keys(c) != want {
			t.Fatalf("%s answers %v, want %s throughout", name, c, want)
		}
	}
}

// TestLiveMembers: with members= omitted every context of the kubeconfig is
// a member, and rewriting the kubeconfig (a Secret update) adds, removes and
// re-authenticates member clusters without restarting the syncer. The grace
// period is liveGrace: rotating credentials restarts s1az1's apiserver twice,
// and its member must stay however long a loaded machine takes to restart it.
func TestLiveMembers(t *testing.T) {
	l := startLabGrace(t, liveGrace, "", func(l *lab) error {
		// The scenario's split names s2, not a member at first (the policy
		// would be refused): split evenly instead.
		l.patchPolicy(t, kubescenario.GDPName, `{"spec":{"trafficSplit":null}}`)
		return writeMembersFile(l, []string{"s1az1", "s1az2"}, nil)
	}, "&reload=200ms"+leaseSpec("live"))
	pid := l.s.Pid()
	a1, a2, a3 := kubescenario.LBAddress["s1az1"], kubescenario.LBAddress["s1az2"], kubescenario.LBAddress["s2"]

	t.Run("only the kubeconfig's contexts are members", func(t *testing.T) {
		l.waitSet(t, hello, dns.TypeA, 12, a1+","+a2)
		l.steady(t, hello, 12, a1+","+a2, time.Second)
	})

	t.Run("a context added to the kubeconfig joins live", func(t *testing.T) {
		l.writeMembers(t, []string{"s1az1", "s1az2", "s2"}, nil)
		d := l.waitSet(t, hello, dns.TypeA, 12, a1+","+a2+","+a3)
		t.Logf("s2 joined %v after the kubeconfig update", d)
	})

	t.Run("a context removed from the kubeconfig leaves at once, no grace period", func(t *testing.T) {
		removed := time.Now()
		l.writeMembers(t, []string{"s1az1", "s2"}, nil)
		l.waitSet(t, hello, dns.TypeA, 12, a1+","+a3)
		if d := time.Since(removed); d >= liveGrace {
			t.Errorf("s1az2's member left %v after its removal, want well within the grace period %v", d, liveGrace)
		}
		l.steady(t, hello, 12, a1+","+a3, time.Second)
	})

	t.Run("rotated credentials: new token picked up, old one revoked, watches go on", func(t *testing.T) {
		// s1az1 is a member and the config cluster: both sets of watches
		// restart with the new token.
		c := l.env.Cluster("s1az1")
		old := c.Token(k8senv.NonAdmin)
		tok, err := c.AddToken(k8senv.NonAdmin) // restarts s1az1's apiserver
		must(t, err)
		l.waitSet(t, hello, dns.TypeA, 12, a1+","+a3)
		// The new token in the kubeconfig: the watches restart with it and
		// the old caches are served meanwhile, so no answer changes.
		before := len(l.s.Log())
		l.writeMembers(t, []string{"s1az1", "s2"}, map[string]string{"s1az1": tok})
		l.steady(t, hello, 12, a1+","+a3, 2*time.Second)
		// Not even briefly, between two DNS queries: no table pushed meanwhile
		// deleted a record (an unsynced config cluster has no policies).
		since := l.s.Log()[before:]
		if !strings.Contains(since, "credentials or server changed") {
			t.Errorf("the syncer did not log the new credentials:\n%s", since)
		}
		if m := regexp.MustCompile(`deletes=[1-9]`).FindString(since); m != "" {
			t.Errorf("a table pushed during the rotation deleted records (%s):\n%s", m, since)
		}
		must(t, c.RevokeToken(old)) // restarts s1az1's apiserver without the old token
		if c.Token(k8senv.NonAdmin) != tok {
			t.Fatal("k8senv: the added token did not become the user's token")
		}
		l.waitSet(t, hello, dns.TypeA, 12, a1+","+a3)
		// The syncer still watches s1az1, with the new token, the only valid
		// one: its Ingresses as a member, its policies as the config cluster.
		must(t, kubescenario.Ingress(l.ctx, l.cs["s1az1"], "default", "rotated", gslbApp("gslb"), "rotated.avi.iberia.local", "127.0.0.101"))
		l.waitSet(t, "rotated.avi.iberia.local.", dns.TypeA, 1, "127.0.0.101")
		l.patchPolicy(t, kubescenario.GDPName, `{"spec":{"trafficSplit":[{"cluster":"s1az1","weight":1},{"cluster":"s2","weight":0}]}}`)
		l.waitSet(t, hello, dns.TypeA, 12, a1)
		// The status writer's election followed the new config cluster: the
		// Lease is renewed with the new token and the status written.
		revoked := time.Now()
		harness.Eventually(t, wait, func() error {
			lease, err := l.cs["s1az1"].CoordinationV1().Leases(kubescenario.PolicyNS).Get(l.ctx, leaseName, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if h := lease.Spec.HolderIdentity; h == nil || *h != "live" || lease.Spec.RenewTime == nil || lease.Spec.RenewTime.Time.Before(revoked) {
				return fmt.Errorf("lease %+v: want held by live and renewed after the old token was revoked", lease.Spec)
			}
			if p := l.policy(t, kubescenario.GDPName); p.Status.ObservedGeneration != p.Generation {
				return fmt.Errorf("status observedGeneration %d, generation %d", p.Status.ObservedGeneration, p.Generation)
			}
			return nil
		})
	})

	if got := l.s.Pid(); got != pid {
		t.Errorf("syncer pid %d, want %d: restarted", got, pid)
	}
}

// writeAtomic replaces path's content as a ConfigMap or Secret volume update does.
func writeAtomic(t *testing.T, path, content string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	must(t, os.WriteFile(tmp, []byte(content), 0o600))
	must(t, os.Rename(tmp, path))
}

// TestLiveMembersFile: members-file=PATH names the member contexts among
// the kubeconfig's (which has every cluster's); editing the file adds and
// removes members without restarting the syncer.
func TestLiveMembersFile(t *testing.T) {
	members := filepath.Join(t.TempDir(), "members.yaml")
	writeAtomic(t, members, "members:\n  - s1az1\n  - s1az2\n")
	l := startLabGrace(t, liveGrace, "members-file="+members+"&", func(l *lab) error {
		l.patchPolicy(t, kubescenario.GDPName, `{"spec":{"trafficSplit":null}}`)
		return l.env.WriteKubeconfig(l.kcfg, k8senv.NonAdmin)
	}, "&reload=200ms"+leaseSpec("live"))
	pid := l.s.Pid()
	a1, a2, a3 := kubescenario.LBAddress["s1az1"], kubescenario.LBAddress["s1az2"], kubescenario.LBAddress["s2"]

	t.Run("only the named contexts are members", func(t *testing.T) {
		l.waitSet(t, hello, dns.TypeA, 12, a1+","+a2)
		l.steady(t, hello, 12, a1+","+a2, time.Second)
	})
	t.Run("a context added to the file joins live", func(t *testing.T) {
		writeAtomic(t, members, "members:\n  - s1az1\n  - s1az2\n  - s2\n")
		l.waitSet(t, hello, dns.TypeA, 12, a1+","+a2+","+a3)
	})
	t.Run("a context removed from the file leaves at once", func(t *testing.T) {
		removed := time.Now()
		writeAtomic(t, members, "s1az1\ns2\n")
		l.waitSet(t, hello, dns.TypeA, 12, a1+","+a3)
		if d := time.Since(removed); d >= liveGrace {
			t.Errorf("s1az2's member left %v after its removal, want well within the grace period %v", d, liveGrace)
		}
	})
	t.Run("an empty or missing file keeps the current members", func(t *testing.T) {
		writeAtomic(t, members, "# being edited\n")
		l.steady(t, hello, 12, a1+","+a3, time.Second)
		must(t, os.Remove(members))
		l.steady(t, hello, 12, a1+","+a3, time.Second)
		if !strings.Contains(l.s.Log(), "names no context") {
			t.Error("the syncer did not report the empty members file")
		}
		writeAtomic(t, members, "s1az2\n")
		l.waitSet(t, hello, dns.TypeA, 12, a2)
	})
	if got := l.s.Pid(); got != pid {
		t.Errorf("syncer pid %d, want %d: restarted", got, pid)
	}
}
