package kube

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"
	"github.com/gslbdns/gslb/test/e2e/harness"
	"github.com/gslbdns/gslb/test/k8senv"
	"github.com/gslbdns/gslb/test/kubescenario"

	"github.com/miekg/dns"
	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
)

// The election's timing in the test: short, so that a hand-over is quick.
const (
	leaseName     = "gslb-syncer"
	leaseDuration = 4 * time.Second
	// handOverSlack covers a busy 2-core machine: the new leader's retry
	// period, its informers' sync and an apiserver slow to answer.
	handOverSlack = 10 * time.Second
)

func leaseSpec(identity string) string {
	return fmt.Sprintf("&lease=%s/%s&identity=%s&lease-duration=%s&lease-renew=3s&lease-retry=500ms&metrics=127.0.0.1:0",
		kubescenario.PolicyNS, leaseName, identity, leaseDuration)
}

// holder is the Lease's holder ("" when none or no Lease).
func (l *lab) holder(t testing.TB) string {
	t.Helper()
	lease, err := l.cs["s1az1"].CoordinationV1().Leases(kubescenario.PolicyNS).Get(l.ctx, leaseName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) || (err == nil && lease.Spec.HolderIdentity == nil) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return *lease.Spec.HolderIdentity
}

func (l *lab) waitHolder(t testing.TB, want string, within time.Duration) {
	t.Helper()
	harness.Eventually(t, within, func() error {
		if h := l.holder(t); h != want {
			return fmt.Errorf("lease held by %q, want %q", h, want)
		}
		return nil
	})
}

// settled waits until the policy's status shows every member healthy for
// its current generation.
func (l *lab) settled(t testing.TB) {
	t.Helper()
	harness.Eventually(t, wait, func() error {
		p := l.policy(t, kubescenario.GDPName)
		if p.Status.ObservedGeneration != p.Generation || len(p.Status.UnhealthyMembers) > 0 || len(p.Status.Clusters) == 0 {
			return fmt.Errorf("status not settled: %+v", p.Status)
		}
		for _, c := range p.Status.Clusters {
			if c.Healthy != c.Members {
				return fmt.Errorf("cluster %s: %d of %d healthy", c.Cluster, c.Healthy, c.Members)
			}
		}
		return nil
	})
}

// statusWrites counts the updates of the policy while cycle runs (a demo
// site stopped and started: only its status changes), from a watch that
// starts before the cycle and reads up to the resourceVersion after it.
func (l *lab) statusWrites(t testing.TB, cycle func()) int {
	t.Helper()
	res := l.dyn.Resource(v1alpha1.GlobalDeploymentPolicies).Namespace(kubescenario.PolicyNS)
	p := l.policy(t, kubescenario.GDPName)
	w, err := res.Watch(l.ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + kubescenario.GDPName, ResourceVersion: p.ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	cycle()
	end := l.policy(t, kubescenario.GDPName).ResourceVersion
	writes := 0
	timeout := time.After(wait)
	for {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				t.Fatal("the policy's watch ended")
			}
			if ev.Type != watch.Modified {
				continue
			}
			writes++
			if m, err := meta.Accessor(ev.Object); err == nil && m.GetResourceVersion() == end {
				return writes
			}
		case <-timeout:
			t.Fatalf("the watch did not reach resourceVersion %s (%d writes seen)", end, writes)
		}
	}
}

// siteCycle stops the demo site addr and starts it again, each step seen
// in the answers (all: every member's address) and in the policy's status.
func (l *lab) siteCycle(t *testing.T, sites *siteServers, addr, all string) {
	t.Helper()
	sites.stop(addr)
	var rest []string
	for a := range strings.SplitSeq(all, ",") {
		if a != addr {
			rest = append(rest, a)
		}
	}
	l.waitSet(t, hello, dns.TypeA, 12, strings.Join(rest, ","))
	l.waitUnhealthy(t, hello, addr, "refused")
	if err := sites.start(addr); err != nil {
		t.Fatal(err)
	}
	l.waitSet(t, hello, dns.TypeA, 12, all)
	l.waitUnhealthy(t, hello, addr, "")
	l.settled(t)
}

// metricValue reads one series of the metrics a process serves (its log
// names the address).
func metricValue(t testing.TB, p *harness.Process, series string) string {
	t.Helper()
	m := regexp.MustCompile(`msg="serving metrics" url=(\S+)`).FindStringSubmatch(p.Log())
	if m == nil {
		t.Fatalf("no metrics address logged:\n%s", p.Log())
	}
	return seriesAt(t, m[1], series)
}

// seriesAt reads one series of the metrics page at url ("" when absent).
func seriesAt(t testing.TB, url, series string) string {
	t.Helper()
	_, body, err := harness.HTTPGet(url)
	if err != nil {
		t.Fatal(err)
	}
	return seriesIn(body, series)
}

// seriesIn is the value of series in a metrics page, or "" when absent.
func seriesIn(body, series string) string {
	v := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(body)
	if v == nil {
		return ""
	}
	return v[1]
}

func waitMetric(t testing.TB, p *harness.Process, series, want string) {
	t.Helper()
	harness.Eventually(t, wait, func() error {
		if v := metricValue(t, p, series); v != want {
			return fmt.Errorf("%s = %q, want %s", series, v, want)
		}
		return nil
	})
}

// TestKubeStatusLeader: two syncers (each with its coredns-gslb) on one
// config cluster elect one status writer with a Lease. They see the policy
// differently (syncer-b's members leave s2 out): without the election each
// would overwrite the other's status on every change. Over a demo site's
// stop/start cycle the policy's status is written as often as with the
// leader alone; the other serves (its plugin follows the site) and says it
// does not write. The leader killed, the other takes the Lease within the
// lease duration (plus slack) and the status follows the next cycle. The
// syncer's identity may touch Leases in its namespace only.
func TestKubeStatusLeader(t *testing.T) {
	l := startLab(t, leaseSpec("syncer-a"))
	sites := startSites(t)
	l.waitSet(t, hello, dns.TypeA, 12, "127.0.0.11,127.0.0.12,127.0.0.13")
	l.patchPolicy(t, kubescenario.GDPName, fmt.Sprintf(`{"spec":{"healthCheck":{"type":"HTTP","port":%d,"path":"/","interval":"1s","timeout":"800ms","rise":2,"fall":3}}}`, sites.port))
	l.waitProbedUp(t, 3)
	l.waitHolder(t, "syncer-a", wait)
	l.waitLog(t, `msg="status writer: leading`)
	waitMetric(t, l.s.Process, "gslb_syncer_kube_status_writer", "1")
	l.settled(t)

	all3, all2 := "127.0.0.11,127.0.0.12,127.0.0.13", "127.0.0.11,127.0.0.12"
	alone := l.statusWrites(t, func() { l.siteCycle(t, sites, "127.0.0.12", all3) })
	if alone < 2 {
		t.Fatalf("%d status writes over a stop/start cycle with one syncer, want at least 2 (down, up)", alone)
	}

	// A second syncer with its own plugin, whose members are s1az1 and s1az2.
	c2 := harness.StartCoreDNS(t, corefmt, nil)
	spec2 := strings.NewReplacer("identity=syncer-a", "identity=syncer-b", "members=s1az1,s1az2,s2&", "members=s1az1,s1az2&").Replace(l.syncerArgs[1])
	args2 := []string{"--source", spec2, "--push", "unix://" + c2.Sock}
	s2 := harness.StartSyncer(t, args2...)
	c2.WaitLoaded(wait)
	dns2 := harness.Dial(t, c2.Addr, "udp")
	harness.Eventually(t, wait, func() error {
		if !strings.Contains(s2.Log(), `msg="status writer: another syncer leads`) || !strings.Contains(s2.Log(), "leader=syncer-a") {
			return fmt.Errorf("syncer-b has not logged that syncer-a leads")
		}
		return nil
	})
	waitMetric(t, s2.Process, "gslb_syncer_kube_status_writer", "0")

	two := l.statusWrites(t, func() { l.siteCycle(t, sites, "127.0.0.12", all3) })
	t.Logf("status writes over a stop/start cycle: %d with one syncer, %d with two", alone, two)
	if two != alone {
		t.Errorf("%d status writes over a cycle with two syncers, %d with one: want the same (one writer)", two, alone)
	}
	if strings.Contains(s2.Log(), "status writer: leading") {
		t.Errorf("syncer-b led while syncer-a ran:\n%s", s2.Tail(20))
	}

	// The leader killed (no release of the Lease): syncer-b takes over.
	killed := time.Now()
	l.s.Kill()
	l.waitHolder(t, "syncer-b", leaseDuration+handOverSlack)
	t.Logf("hand-over after the leader was killed: %s (lease duration %s)", time.Since(killed).Round(100*time.Millisecond), leaseDuration)
	waitMetric(t, s2.Process, "gslb_syncer_kube_status_writer", "1")
	l.dns, l.s = dns2, s2
	after := l.statusWrites(t, func() { l.siteCycle(t, sites, "127.0.0.12", all2) })
	if after < 2 {
		t.Errorf("%d status writes over a cycle after the hand-over, want at least 2", after)
	}
	// The status is syncer-b's view now: s2 is not one of its members.
	if c := cond(l.policy(t, kubescenario.GDPName), v1alpha1.ConditionResolvedRefs); c.Status != metav1.ConditionFalse || !strings.Contains(c.Message, "s2") {
		t.Errorf("ResolvedRefs after the hand-over: %+v, want False naming s2 (syncer-b's view)", c)
	}

	t.Run("RBAC: Leases in the syncer's namespace only", func(t *testing.T) {
		cs, err := kubernetes.NewForConfig(l.env.Cluster("s1az1").UserConfig(k8senv.NonAdmin))
		if err != nil {
			t.Fatal(err)
		}
		lease := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "elsewhere"}}
		if _, err := cs.CoordinationV1().Leases("default").Create(l.ctx, lease, metav1.CreateOptions{}); !apierrors.IsForbidden(err) {
			t.Errorf("the syncer's identity created a Lease in default: %v, want Forbidden", err)
		}
		if err := cs.CoordinationV1().Leases(kubescenario.PolicyNS).Delete(l.ctx, leaseName, metav1.DeleteOptions{}); !apierrors.IsForbidden(err) {
			t.Errorf("the syncer's identity deleted its Lease: %v, want Forbidden", err)
		}
		member, err := kubernetes.NewForConfig(l.env.Cluster("s2").UserConfig(k8senv.NonAdmin))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := member.CoordinationV1().Leases(kubescenario.PolicyNS).Create(l.ctx, lease, metav1.CreateOptions{}); !apierrors.IsForbidden(err) {
			t.Errorf("the syncer's identity created a Lease in a member cluster: %v, want Forbidden", err)
		}
	})
}
