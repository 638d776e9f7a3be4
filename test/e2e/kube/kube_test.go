// Package kube runs the Kubernetes source end to end: real kube-apiservers
// (k8senv), the real coredns-gslb and gslb-syncer (bin/), the syncer as a
// NON-ADMIN user bound to the ClusterRoles of deploy/rbac.
package kube

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"
	"github.com/gslbdns/gslb/test/e2e/harness"
	"github.com/gslbdns/gslb/test/k8senv"
	"github.com/gslbdns/gslb/test/kubescenario"

	"github.com/miekg/dns"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

const (
	hello   = "hello.avi.iberia.local."
	wait    = 30 * time.Second
	grace   = 4 * time.Second
	corefmt = `avi.iberia.local:{{port "dns"}} {
    bind 127.0.0.1
    gslb {
        soa g-dns.iberia.local. hostmaster.iberia.local. refresh 10800 retry 3600 expire 86400 minimum 30
        ns g-dns.iberia.local. 127.0.0.1
        ttl 30
        listen unix://{{.Sock}}
    }
    errors
}
`
)

// liveGrace is the syncer's grace period in labs whose tests restart an
// apiserver and need its members to stay meanwhile: comfortably longer than
// a restart takes on a busy 2-core machine (seen: more than 4 s before a
// restarted apiserver's RBAC answered the syncer's user again). grace, short
// so that the test of its expiry is quick, is everyone else's.
const liveGrace = 60 * time.Second

type lab struct {
	env  *k8senv.Env
	cs   map[string]kubernetes.Interface
	dyn  dynamic.Interface // config cluster (s1az1), admin
	c    *harness.CoreDNS
	s    *harness.Syncer
	dns  *harness.Client
	kcfg string
	ctx  context.Context
	// syncerArgs are the syncer's command line, for restarts by t, the
	// test that started the lab.
	syncerArgs []string
	t          testing.TB
}

func startLab(t *testing.T, extraSpec string) *lab {
	t.Helper()
	return startLabWith(t, "members=s1az1,s1az2,s2&", func(l *lab) error { return l.env.WriteKubeconfig(l.kcfg, k8senv.NonAdmin) }, extraSpec)
}

// startLabWith is startLab with members ("members=...&" or "") in the
// syncer's spec, and prepare, which writes the syncer's kubeconfig (l.kcfg)
// and whatever else is due before the syncer starts.
func startLabWith(t *testing.T, members string, prepare func(*lab) error, extraSpec string) *lab {
	t.Helper()
	return startLabGrace(t, grace, members, prepare, extraSpec)
}

// startLabGrace is startLabWith with the syncer's grace period g.
func startLabGrace(t *testing.T, g time.Duration, members string, prepare func(*lab) error, extraSpec string) *lab {
	t.Helper()
	return startLabOn(t, g, members, prepare, extraSpec, corefmt)
}

// startLabCorefile is startLabWith with coredns-gslb on corefile (a
// harness template).
func startLabCorefile(t *testing.T, members string, prepare func(*lab) error, extraSpec, corefile string) *lab {
	t.Helper()
	return startLabOn(t, grace, members, prepare, extraSpec, corefile)
}

// startLabOn starts the lab with the syncer's grace period g and
// coredns-gslb on corefile.
func startLabOn(t *testing.T, g time.Duration, members string, prepare func(*lab) error, extraSpec, corefile string) *lab {
	t.Helper()
	l := startClusters(t)
	if err := prepare(l); err != nil {
		t.Fatal(err)
	}
	l.c = harness.StartCoreDNS(t, corefile, nil)
	spec := fmt.Sprintf("kubernetes:%s?%sconfig=s1az1&grace=%s&probe=200ms&zones=avi.iberia.local%s", l.kcfg, members, g, extraSpec)
	l.syncerArgs = []string{"--source", spec, "--push", "unix://" + l.c.Sock}
	l.s = harness.StartSyncer(t, l.syncerArgs...)
	l.c.WaitLoaded(wait)
	l.dns = harness.Dial(t, l.c.Addr, "udp")
	return l
}

// startClusters starts the three apiservers with the scenario installed:
// a lab without coredns-gslb and syncer yet (l.c, l.s and l.dns are nil).
// l.kcfg is the path for the syncer's kubeconfig, not written yet.
func startClusters(t testing.TB) *lab {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	t.Cleanup(cancel)
	l := &lab{ctx: ctx, cs: map[string]kubernetes.Interface{}, t: t}
	l.env = k8senv.Start(t, kubescenario.Members...)
	adminCfgs := map[string]*rest.Config{}
	for _, n := range kubescenario.Members {
		l.cs[n] = l.env.Cluster(n).Client()
		adminCfgs[n] = l.env.Cluster(n).Config()
	}
	root := harness.RepoRoot(t)
	if err := kubescenario.Install(ctx, root, k8senv.NonAdmin.Name(), adminCfgs["s1az1"], adminCfgs); err != nil {
		t.Fatalf("install scenario: %v", err)
	}
	var err error
	if l.dyn, err = dynamic.NewForConfig(adminCfgs["s1az1"]); err != nil {
		t.Fatal(err)
	}
	l.kcfg = filepath.Join(t.TempDir(), "kubeconfig")
	return l
}

// answers returns the sorted set of targets (A, AAAA, CNAME) of n queries.
func (l *lab) answers(t *testing.T, name string, qtype uint16, n int) (counts map[string]int, ttl uint32, rcode int) {
	t.Helper()
	counts = map[string]int{}
	for range n {
		r, err := l.dns.Exchange(name, qtype)
		if err != nil {
			t.Fatal(err)
		}
		rcode = r.Rcode
		for _, rr := range r.Answer {
			ttl = rr.Header().Ttl
			switch v := rr.(type) {
			case *dns.A:
				counts[v.A.String()]++
			case *dns.AAAA:
				counts[v.AAAA.String()]++
			case *dns.CNAME:
				counts["CNAME "+v.Target]++
			}
		}
	}
	return counts, ttl, rcode
}

func keys(m map[string]int) string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ",")
}

// waitSet waits until the set of answers to name over n queries is want
// (comma-separated, sorted; "" for none) and returns how long it took.
func (l *lab) waitSet(t *testing.T, name string, qtype uint16, n int, want string) time.Duration {
	t.Helper()
	start := time.Now()
	harness.Eventually(t, wait, func() error {
		c, _, _ := l.answers(t, name, qtype, n)
		if got := keys(c); got != want {
			return fmt.Errorf("%s %s answers %q, want %q", name, dns.TypeToString[qtype], got, want)
		}
		return nil
	})
	return time.Since(start)
}

// expectSplit checks hello's answers are exactly w over whole cycles, TTL 2.
func (l *lab) expectSplit(t *testing.T, w [3]int32) {
	t.Helper()
	l.expectSplitTTL(t, w, 2)
}

// expectSplitTTL is expectSplit with the TTL ttl.
func (l *lab) expectSplitTTL(t *testing.T, w [3]int32, ttl uint32) {
	t.Helper()
	total := int(w[0] + w[1] + w[2])
	// Wait until one cycle has the right counts, then check 10 cycles exactly.
	want := func(c map[string]int, k int) error {
		for i, n := range kubescenario.Members {
			if c[kubescenario.LBAddress[n]] != int(w[i])*k {
				return fmt.Errorf("counts %v, want %v x %d", c, w, k)
			}
		}
		return nil
	}
	harness.Eventually(t, wait, func() error {
		c, _, _ := l.answers(t, hello, dns.TypeA, total)
		return want(c, 1)
	})
	c, got, _ := l.answers(t, hello, dns.TypeA, 10*total)
	if err := want(c, 10); err != nil {
		t.Fatal(err)
	}
	if got != ttl {
		t.Errorf("TTL %d, want %d", got, ttl)
	}
}

func (l *lab) patchPolicy(t testing.TB, name string, patch string) {
	t.Helper()
	if _, err := l.dyn.Resource(v1alpha1.GlobalDeploymentPolicies).Namespace(kubescenario.PolicyNS).Patch(l.ctx, name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
}

func (l *lab) policy(t testing.TB, name string) *v1alpha1.GlobalDeploymentPolicy {
	t.Helper()
	u, err := l.dyn.Resource(v1alpha1.GlobalDeploymentPolicies).Namespace(kubescenario.PolicyNS).Get(l.ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var p v1alpha1.GlobalDeploymentPolicy
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &p); err != nil {
		t.Fatal(err)
	}
	return &p
}

func cond(p *v1alpha1.GlobalDeploymentPolicy, typ string) metav1.Condition {
	for _, c := range p.Status.Conditions {
		if c.Type == typ {
			return c
		}
	}
	return metav1.Condition{}
}

func gslbApp(v string) map[string]string { return map[string]string{"app": v} }

func TestKubeScenario(t *testing.T) {
	l := startLab(t, "")
	ctx := l.ctx

	t.Run("split 6:4:2 exact over whole cycles", func(t *testing.T) { l.expectSplit(t, [3]int32{6, 4, 2}) })

	t.Run("status Accepted and Synced, matched FQDN", func(t *testing.T) {
		harness.Eventually(t, wait, func() error {
			p := l.policy(t, kubescenario.GDPName)
			if cond(p, "Accepted").Status != "True" || cond(p, "Synced").Status != "True" || !slices.Contains(p.Status.MatchedFQDNs, hello) || len(p.Status.Clusters) != 3 {
				return fmt.Errorf("status %+v", p.Status)
			}
			return nil
		})
	})

	t.Run("live edits 6:3:1 then 20:20:1; ttl untouched", func(t *testing.T) {
		l.patchPolicy(t, kubescenario.GDPName, `{"spec":{"trafficSplit":[{"cluster":"s1az1","weight":6},{"cluster":"s1az2","weight":3},{"cluster":"s2","weight":1}]}}`)
		l.expectSplit(t, [3]int32{6, 3, 1})
		l.patchPolicy(t, kubescenario.GDPName, `{"spec":{"trafficSplit":[{"cluster":"s1az1","weight":20},{"cluster":"s1az2","weight":20},{"cluster":"s2","weight":1}]}}`)
		l.expectSplit(t, [3]int32{20, 20, 1})
		l.patchPolicy(t, kubescenario.GDPName, `{"spec":{"trafficSplit":[{"cluster":"s1az1","weight":6},{"cluster":"s1az2","weight":4},{"cluster":"s2","weight":2}]}}`)
		l.expectSplit(t, [3]int32{6, 4, 2})
	})

	t.Run("unlabelled Ingress ignored", func(t *testing.T) {
		if err := kubescenario.Ingress(ctx, l.cs["s1az1"], "default", "nolabel", nil, "nolabel.avi.iberia.local", "127.0.0.41"); err != nil {
			t.Fatal(err)
		}
		// A labelled one created after it is served: by then the unlabelled one was seen.
		if err := kubescenario.Ingress(ctx, l.cs["s1az1"], "default", "labelled", gslbApp("gslb"), "labelled.avi.iberia.local", "127.0.0.42"); err != nil {
			t.Fatal(err)
		}
		l.waitSet(t, "labelled.avi.iberia.local.", dns.TypeA, 1, "127.0.0.42")
		if _, _, rc := l.answers(t, "nolabel.avi.iberia.local.", dns.TypeA, 1); rc != dns.RcodeNameError {
			t.Errorf("unlabelled Ingress: rcode %s, want NXDOMAIN", dns.RcodeToString[rc])
		}
	})

	t.Run("namespaceSelector ANDed with appSelector", func(t *testing.T) {
		for _, n := range []string{"s1az1", "s2"} {
			if err := kubescenario.EnsureNamespace(ctx, l.cs[n], "prod", map[string]string{"env": "prod"}); err != nil {
				t.Fatal(err)
			}
			if err := kubescenario.EnsureNamespace(ctx, l.cs[n], "dev", map[string]string{"env": "dev"}); err != nil {
				t.Fatal(err)
			}
		}
		p := kubescenario.Policy("ns-policy", 5, [3]int32{1, 1, 1})
		p.Spec.MatchRules.AppSelector.MatchLabels = gslbApp("nsapp")
		p.Spec.MatchRules.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"env": "prod"}}
		if err := kubescenario.Apply(ctx, l.dyn, p); err != nil {
			t.Fatal(err)
		}
		must(t, kubescenario.Ingress(ctx, l.cs["s1az1"], "prod", "nsapp", gslbApp("nsapp"), "nsapp.avi.iberia.local", "127.0.0.51"))
		must(t, kubescenario.Ingress(ctx, l.cs["s2"], "dev", "nsapp", gslbApp("nsapp"), "nsapp.avi.iberia.local", "127.0.0.53"))
		l.waitSet(t, "nsapp.avi.iberia.local.", dns.TypeA, 4, "127.0.0.51")
		// Relabel dev as prod: its Ingress joins.
		must(t, kubescenario.EnsureNamespace(ctx, l.cs["s2"], "dev", map[string]string{"env": "prod"}))
		l.waitSet(t, "nsapp.avi.iberia.local.", dns.TypeA, 4, "127.0.0.51,127.0.0.53")
	})

	t.Run("IPv6 LB answers AAAA, hostname LB answers CNAME", func(t *testing.T) {
		_, err := kubescenario.Service(ctx, l.cs["s1az2"], "default", "v6", gslbApp("gslb"), "v6.avi.iberia.local", "127.0.0.61", "::1")
		must(t, err)
		_, err = kubescenario.Service(ctx, l.cs["s2"], "default", "cname", gslbApp("gslb"), "cname.avi.iberia.local", "lb.localhost")
		must(t, err)
		l.waitSet(t, "v6.avi.iberia.local.", dns.TypeAAAA, 1, "::1")
		l.waitSet(t, "v6.avi.iberia.local.", dns.TypeA, 1, "127.0.0.61")
		l.waitSet(t, "cname.avi.iberia.local.", dns.TypeA, 1, "CNAME lb.localhost.")
	})

	t.Run("GSLBHostRule overrides ttl and split, adds thirdPartyMembers", func(t *testing.T) {
		must(t, kubescenario.Ingress(ctx, l.cs["s1az1"], "default", "hr", gslbApp("gslb"), "hr.avi.iberia.local", "127.0.0.71"))
		must(t, kubescenario.Ingress(ctx, l.cs["s2"], "default", "hr", gslbApp("gslb"), "hr.avi.iberia.local", "127.0.0.73"))
		l.waitSet(t, "hr.avi.iberia.local.", dns.TypeA, 12, "127.0.0.71,127.0.0.73")
		ttl := int32(7)
		hr := &v1alpha1.GSLBHostRule{
			TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.SchemeGroupVersion.String(), Kind: "GSLBHostRule"},
			ObjectMeta: metav1.ObjectMeta{Namespace: kubescenario.PolicyNS, Name: "hr"},
			Spec: v1alpha1.GSLBHostRuleSpec{FQDN: "hr.avi.iberia.local", TTL: &ttl,
				TrafficSplit:      []v1alpha1.TrafficSplit{{Cluster: "s1az1", Weight: 2}, {Cluster: "s2", Weight: 0}},
				ThirdPartyMembers: []v1alpha1.ThirdPartyMember{{Address: "127.0.0.79", Weight: 1, Site: "dc3"}}},
		}
		must(t, kubescenario.Apply(ctx, l.dyn, hr))
		l.waitSet(t, "hr.avi.iberia.local.", dns.TypeA, 12, "127.0.0.71,127.0.0.79")
		c, gotTTL, _ := l.answers(t, "hr.avi.iberia.local.", dns.TypeA, 30)
		if c["127.0.0.71"] != 20 || c["127.0.0.79"] != 10 || gotTTL != 7 {
			t.Errorf("host rule: counts %v ttl %d, want 20/10 ttl 7", c, gotTTL)
		}
	})

	t.Run("conflicting policies: the oldest wins, both report it, an Event", func(t *testing.T) {
		older := kubescenario.Policy("conflict-older", 5, [3]int32{1, 1, 1})
		older.Spec.MatchRules.AppSelector.MatchLabels = gslbApp("conflict")
		must(t, kubescenario.Apply(ctx, l.dyn, older))
		time.Sleep(1100 * time.Millisecond) // creation timestamps have 1 s resolution
		newer := kubescenario.Policy("conflict-newer", 9, [3]int32{1, 1, 1})
		newer.Spec.MatchRules.AppSelector.MatchLabels = gslbApp("conflict")
		must(t, kubescenario.Apply(ctx, l.dyn, newer))
		must(t, kubescenario.Ingress(ctx, l.cs["s1az1"], "default", "conflict", gslbApp("conflict"), "conflict.avi.iberia.local", "127.0.0.81"))
		l.waitSet(t, "conflict.avi.iberia.local.", dns.TypeA, 1, "127.0.0.81")
		if _, ttl, _ := l.answers(t, "conflict.avi.iberia.local.", dns.TypeA, 1); ttl != 5 {
			t.Errorf("TTL %d, want the older policy's 5", ttl)
		}
		harness.Eventually(t, wait, func() error {
			o, n := l.policy(t, "conflict-older"), l.policy(t, "conflict-newer")
			if len(o.Status.Conflicts) != 1 || len(n.Status.Conflicts) != 1 || len(n.Status.MatchedFQDNs) != 0 || len(o.Status.MatchedFQDNs) != 1 {
				return fmt.Errorf("older %+v newer %+v", o.Status, n.Status)
			}
			if c := cond(n, "Accepted"); c.Reason != v1alpha1.ReasonConflict {
				return fmt.Errorf("newer Accepted %+v", c)
			}
			evs, err := l.cs["s1az1"].CoreV1().Events(kubescenario.PolicyNS).List(ctx, metav1.ListOptions{})
			if err != nil {
				return err
			}
			n2 := 0
			for _, e := range evs.Items {
				if e.Reason == "FQDNConflict" {
					n2++
				}
			}
			if n2 < 2 {
				return fmt.Errorf("%d FQDNConflict events, want 2", n2)
			}
			return nil
		})
	})

	t.Run("invalid policies: refused by the schema or reported in status", func(t *testing.T) {
		bad := kubescenario.Policy("bad-weight", 5, [3]int32{2000, 1, 1})
		if err := kubescenario.Apply(ctx, l.dyn, bad); !apierrors.IsInvalid(err) {
			t.Errorf("weight 2000: %v, want Invalid", err)
		}
		bad = kubescenario.Policy("bad-algo", 5, [3]int32{1, 1, 1})
		bad.Spec.Algorithm = "Fastest"
		if err := kubescenario.Apply(ctx, l.dyn, bad); !apierrors.IsInvalid(err) {
			t.Errorf("algorithm Fastest: %v, want Invalid", err)
		}
		bad = kubescenario.Policy("bad-fallback", 5, [3]int32{1, 1, 1})
		bad.Spec.DownResponse = &v1alpha1.DownResponse{Type: v1alpha1.DownFallback}
		if err := kubescenario.Apply(ctx, l.dyn, bad); !apierrors.IsInvalid(err) {
			t.Errorf("Fallback without addresses: %v, want Invalid", err)
		}
		unk := kubescenario.Policy("unknown-cluster", 5, [3]int32{1, 1, 1})
		unk.Spec.MatchRules.AppSelector.MatchLabels = gslbApp("unknown")
		unk.Spec.TrafficSplit = append(unk.Spec.TrafficSplit, v1alpha1.TrafficSplit{Cluster: "s9", Weight: 1})
		must(t, kubescenario.Apply(ctx, l.dyn, unk))
		// The unknown cluster is ignored and reported; the rest serves.
		harness.Eventually(t, wait, func() error {
			p := l.policy(t, "unknown-cluster")
			if c := cond(p, "ResolvedRefs"); c.Status != "False" || c.Reason != v1alpha1.ReasonUnknownCluster || !strings.Contains(c.Message, `"s9"`) {
				return fmt.Errorf("ResolvedRefs %+v", c)
			}
			if c := cond(p, "Accepted"); c.Status != "True" {
				return fmt.Errorf("Accepted %+v", c)
			}
			return nil
		})
	})

	t.Run("deleting the Ingress in s2 removes its member", func(t *testing.T) {
		// hello has a Service and an Ingress per cluster, both with the same address.
		must(t, l.cs["s2"].NetworkingV1().Ingresses("default").Delete(ctx, "hello", metav1.DeleteOptions{}))
		must(t, l.cs["s2"].CoreV1().Services("default").Delete(ctx, "hello", metav1.DeleteOptions{}))
		l.waitSet(t, hello, dns.TypeA, 12, "127.0.0.11,127.0.0.12")
	})

	t.Run("member apiserver killed: grace period, then the rule; restart resyncs", func(t *testing.T) {
		// only2 exists only in s1az2: dropping it would leave it empty, so it is kept.
		must(t, kubescenario.Ingress(ctx, l.cs["s1az2"], "default", "only2", gslbApp("gslb"), "only2.avi.iberia.local", "127.0.0.92"))
		l.waitSet(t, "only2.avi.iberia.local.", dns.TypeA, 1, "127.0.0.92")
		// The apiserver stops answering as soon as its shutdown begins: time from before Stop.
		stopped := time.Now()
		if err := l.env.Cluster("s1az2").Stop(); err != nil {
			t.Fatal(err)
		}
		// Within the grace period the last-known members stay.
		for time.Since(stopped) < grace-time.Second {
			if c, _, _ := l.answers(t, hello, dns.TypeA, 10); keys(c) != "127.0.0.11,127.0.0.12" {
				t.Fatalf("within the grace period: %v", c)
			}
			time.Sleep(200 * time.Millisecond)
		}
		l.waitSet(t, hello, dns.TypeA, 10, "127.0.0.11")
		if d := time.Since(stopped); d < grace {
			t.Errorf("s1az2's member dropped after %v, before the grace period %v", d, grace)
		}
		l.waitSet(t, "only2.avi.iberia.local.", dns.TypeA, 1, "127.0.0.92")
		harness.Eventually(t, wait, func() error {
			p := l.policy(t, kubescenario.GDPName)
			var st string
			for _, c := range p.Status.Clusters {
				if c.Cluster == "s1az2" {
					st = c.State
				}
			}
			if st != v1alpha1.StateExpiredKept || cond(p, "Synced").Status != "False" {
				return fmt.Errorf("status %+v", p.Status)
			}
			return nil
		})
		if err := l.env.Cluster("s1az2").Restart(); err != nil {
			t.Fatal(err)
		}
		d := l.waitSet(t, hello, dns.TypeA, 10, "127.0.0.11,127.0.0.12")
		t.Logf("resynced %v after the restart", d)
		harness.Eventually(t, wait, func() error {
			if p := l.policy(t, kubescenario.GDPName); cond(p, "Synced").Status != "True" {
				return fmt.Errorf("Synced %+v", cond(p, "Synced"))
			}
			return nil
		})
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
