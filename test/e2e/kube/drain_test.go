package kube

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"
	"github.com/gslbdns/gslb/syncer/gslbctl"
	"github.com/gslbdns/gslb/test/e2e/harness"
	"github.com/gslbdns/gslb/test/k8senv"
	"github.com/gslbdns/gslb/test/kubescenario"

	"github.com/miekg/dns"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/clientcmd"
)

// drainPromise is how soon a drain or an undrain is answered.
const drainPromise = time.Second

// operator is the user the test binds deploy/rbac/drain-operator.yaml to.
const operator = "alice"

const drainCRD = "gslbdrains.gslb.gslbdns.io"

// ctl runs bin/gslbctl ARGS and wants exit status code; it returns the output.
func ctl(t *testing.T, code int, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	cmd := exec.Command(harness.Bin(t, "gslbctl"), args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	got := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		got = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if got != code {
		t.Fatalf("gslbctl %s: exit %d, want %d\n%s", strings.Join(args, " "), got, code, out.String())
	}
	return out.String()
}

// operatorKubeconfig binds the drain operator's ClusterRole to operator in
// the config cluster and writes a kubeconfig acting as operator (the
// admin's token, impersonating: the apiserver authorizes operator).
func (l *lab) operatorKubeconfig(t *testing.T) string {
	t.Helper()
	must(t, kubescenario.BindRoles(l.ctx, l.cs["s1az1"], harness.RepoRoot(t), operator, "drain-operator"))
	cfg := l.env.Kubeconfig(k8senv.Admin)
	for _, a := range cfg.AuthInfos {
		a.Impersonate = operator
	}
	path := filepath.Join(t.TempDir(), "operator.kubeconfig")
	must(t, clientcmd.WriteToFile(*cfg, path))
	return path
}

// timeToLeave polls rounds of n answers until one has no addr, and returns
// how long after from that round began (at once when the first has none).
func (l *lab) timeToLeave(t *testing.T, addr string, n int, from time.Time) time.Duration {
	t.Helper()
	for {
		began := time.Now()
		if c, _, _ := l.answers(t, hello, dns.TypeA, n); c[addr] == 0 {
			return began.Sub(from)
		}
		if time.Since(from) > wait {
			t.Fatalf("%s still answered %v after the drain", addr, wait)
		}
	}
}

// timeToReturn polls single answers until one is addr, and returns how
// long after from it came.
func (l *lab) timeToReturn(t *testing.T, addr string, from time.Time) time.Duration {
	t.Helper()
	for {
		if c, _, _ := l.answers(t, hello, dns.TypeA, 1); c[addr] > 0 {
			return time.Since(from)
		}
		if time.Since(from) > wait {
			t.Fatalf("%s not answered %v after the undrain", addr, wait)
		}
	}
}

// drainedMember checks the plugin's table: hello's member addr is down
// with reason why (why "": not down).
func (l *lab) drainedMember(t *testing.T, addr, why string) {
	t.Helper()
	harness.Eventually(t, wait, func() error {
		for _, m := range gslbctl.FindRecord(l.table(t), hello).GetMembers() {
			if m.GetAddress() != addr {
				continue
			}
			down := m.GetHealth() == gslbv1.Health_HEALTH_DOWN
			switch {
			case why == "" && down:
				return fmt.Errorf("member %s: down, %q", addr, m.GetHealthReason())
			case why != "" && (!down || m.GetHealthReason() != why):
				return fmt.Errorf("member %s: %v %q, want down %q", addr, m.GetHealth(), m.GetHealthReason(), why)
			}
			return nil
		}
		return fmt.Errorf("hello has no member %s", addr)
	})
}

// drainedStatus waits until the scenario policy's status shows cluster
// drained with why: no healthy member, the reason in its message and in
// unhealthyMembers.
func (l *lab) drainedStatus(t *testing.T, cluster, why string) {
	t.Helper()
	harness.Eventually(t, wait, func() error {
		p := l.policy(t, kubescenario.GDPName)
		listed := false
		for _, m := range p.Status.UnhealthyMembers {
			listed = listed || (m.Cluster == cluster && m.Reason == why)
		}
		for _, c := range p.Status.Clusters {
			if c.Cluster == cluster && (c.Healthy != 0 || !strings.HasSuffix(c.Message, why) || !listed) {
				return fmt.Errorf("status of %s: %+v, unhealthy members %+v", cluster, c, p.Status.UnhealthyMembers)
			}
		}
		return nil
	})
}

// TestKubeDrain drains s1az1 with the real gslbctl as an operator bound to
// deploy/rbac/drain-operator.yaml (the syncer's own identity may not): its
// member leaves the answers within a second, every round after is exactly
// 4:2, the table, gslbctl table and the policy's status say why; the drain
// survives a syncer restart; undrained, it is back within a second, 6:4:2.
// A site's drain takes the clusters the policy's routing places in it.
func TestKubeDrain(t *testing.T) {
	l := startLab(t, "&startwait=5s")
	sites := startSites(t)
	l.patchPolicy(t, kubescenario.GDPName, fmt.Sprintf(`{"spec":{"healthCheck":{"type":"HTTP","port":%d,"path":"/","interval":"200ms","timeout":"100ms","rise":2,"fall":3}}}`, sites.port))
	l.waitProbedUp(t, 3)
	l.expectSplit(t, [3]int32{6, 4, 2})
	a1, a2, a3 := kubescenario.LBAddress["s1az1"], kubescenario.LBAddress["s1az2"], kubescenario.LBAddress["s2"]
	fourTwo := map[string]int{a2: 4, a3: 2}
	why := "drained by GSLBDrain cluster-s1az1 (" + operator + "): maintenance window"

	t.Run("the syncer's identity may not drain", func(t *testing.T) {
		out := ctl(t, 1, "drain", "--cluster", "s1az1", "--kubeconfig", l.kcfg, "--context", "s1az1")
		if !strings.Contains(out, "forbidden") || !strings.Contains(out, k8senv.NonAdmin.Name()) {
			t.Errorf("gslbctl drain as the syncer: %s", out)
		}
	})
	op := l.operatorKubeconfig(t)

	t.Run("drain s1az1: it leaves within a second, then exactly 4:2", func(t *testing.T) {
		run := time.Now()
		out := ctl(t, 0, "drain", "--cluster", "s1az1", "--reason", "maintenance window", "--kubeconfig", op, "--context", "s1az1")
		ran := time.Since(run)
		if !strings.Contains(out, "GSLBDrain cluster-s1az1 created") {
			t.Errorf("gslbctl drain: %s", out)
		}
		d := l.timeToLeave(t, a1, 12, run)
		t.Logf("s1az1's member left the answers %v after gslbctl drain started (it ran %v)", d, ran)
		if d > drainPromise {
			t.Errorf("s1az1 left after %v, want within %v", d, drainPromise)
		}
		l.exactRoundsOf(t, 3*time.Second, fourTwo)
		l.drainedMember(t, a1, why)
		if out := l.gslbctlTable(t); !strings.Contains(out, why) {
			t.Errorf("gslbctl table does not say why s1az1 is out:\n%s", out)
		}
		l.drainedStatus(t, "s1az1", why)
		if out := ctl(t, 0, "drain", "--list", "--kubeconfig", op, "--context", "s1az1"); !strings.Contains(out, "cluster-s1az1  cluster s1az1  "+operator) {
			t.Errorf("gslbctl drain --list:\n%s", out)
		}
	})

	t.Run("the drain survives a syncer restart", func(t *testing.T) {
		l.restartSyncer()
		l.exactRoundsOf(t, 8*time.Second, fourTwo)
		l.waitLog(t, `msg=applied.*kind=FULL`)
		l.exactRoundsOf(t, 2*time.Second, fourTwo)
		l.drainedMember(t, a1, why)
	})

	t.Run("undrain: back within a second, then exactly 6:4:2", func(t *testing.T) {
		run := time.Now()
		out := ctl(t, 0, "undrain", "--cluster", "s1az1", "--kubeconfig", op, "--context", "s1az1")
		ran := time.Since(run)
		d := l.timeToReturn(t, a1, run)
		t.Logf("s1az1's member was answered again %v after gslbctl undrain started (it ran %v: %s)", d, ran, strings.TrimSpace(out))
		if d > drainPromise {
			t.Errorf("s1az1 back after %v, want within %v", d, drainPromise)
		}
		l.exactRounds(t, 3*time.Second)
		l.drainedMember(t, a1, "")
		ctl(t, 1, "undrain", "--cluster", "s1az1", "--kubeconfig", op, "--context", "s1az1")
	})

	t.Run("a site: the clusters the policy places in it", func(t *testing.T) {
		l.patchPolicy(t, kubescenario.GDPName, `{"spec":{"routing":{"sites":[{"name":"SITE1","clusters":["s1az1","s1az2"]},{"name":"SITE2","clusters":["s2"]}]}}}`)
		out := ctl(t, 0, "drain", "--site", "SITE1", "--kubeconfig", op, "--context", "s1az1")
		if !strings.Contains(out, "Site SITE1 holds the clusters s1az1, s1az2") {
			t.Errorf("gslbctl drain --site: %s", out)
		}
		l.waitSet(t, hello, dns.TypeA, 12, a3)
		ctl(t, 0, "undrain", "--site", "SITE1", "--kubeconfig", op, "--context", "s1az1")
		l.waitSet(t, hello, dns.TypeA, 12, strings.Join([]string{a1, a2, a3}, ","))
	})
}

// TestKubeDrainWithoutCRD: a config cluster without the GSLBDrain CRD (an
// upgrade that skipped deploy/crds) has no drains: the syncer says so once
// and serves the policies; once the CRD is applied, drains work without a
// restart.
func TestKubeDrainWithoutCRD(t *testing.T) {
	var crd *unstructured.Unstructured
	l := startLabWith(t, "members=s1az1,s1az2,s2&", func(l *lab) error {
		crds := l.dyn.Resource(crdGVR)
		var err error
		if crd, err = crds.Get(l.ctx, drainCRD, metav1.GetOptions{}); err != nil {
			return err
		}
		if err := crds.Delete(l.ctx, drainCRD, metav1.DeleteOptions{}); err != nil {
			return err
		}
		if err := harness.Within(wait, func() error {
			if _, err := l.dyn.Resource(v1alpha1.GSLBDrains).List(l.ctx, metav1.ListOptions{}); !apierrors.IsNotFound(err) {
				return fmt.Errorf("GSLBDrains still served: %v", err)
			}
			return nil
		}); err != nil {
			return err
		}
		return l.env.WriteKubeconfig(l.kcfg, k8senv.NonAdmin)
	}, "&startwait=5s")
	l.expectSplit(t, [3]int32{6, 4, 2})
	l.waitLog(t, `the config cluster does not serve GSLBDrain`)

	crd.SetResourceVersion("")
	crd.SetUID("")
	delete(crd.Object, "status")
	if _, err := l.dyn.Resource(crdGVR).Create(l.ctx, crd, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	admin := filepath.Join(t.TempDir(), "admin.kubeconfig")
	must(t, l.env.WriteKubeconfig(admin, k8senv.Admin))
	harness.Eventually(t, wait, func() error {
		_, err := l.dyn.Resource(v1alpha1.GSLBDrains).List(l.ctx, metav1.ListOptions{})
		return err
	})
	ctl(t, 0, "drain", "--cluster", "s2", "--kubeconfig", admin, "--context", "s1az1")
	l.waitSet(t, hello, dns.TypeA, 12, kubescenario.LBAddress["s1az1"]+","+kubescenario.LBAddress["s1az2"])
}
