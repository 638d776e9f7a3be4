package kube

import (
	"fmt"
	"net"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gslbdns/gslb/test/e2e/harness"
	"github.com/gslbdns/gslb/test/k8senv"
	"github.com/gslbdns/gslb/test/kubescenario"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
)

// TestDelegationEvents: a gslb-syncer on the Kubernetes source, leading
// its site's probes (probe-lease), keeps a delegation whose parent is a
// loopback port nobody listens on. The syncer, as the non-admin user of
// deploy/rbac, records one Warning Event DelegationFailed (reason
// unreachable) on the site's probe Lease in the config cluster, and no
// more while it retries (the Event's count stays 1), and its
// /status/delegation says failing, unreachable.
func TestDelegationEvents(t *testing.T) {
	l := startClusters(t)
	must(t, l.env.WriteKubeconfig(l.kcfg, k8senv.NonAdmin))
	l.c = harness.StartCoreDNS(t, corefmt, nil)
	dir := t.TempDir()
	conf := filepath.Join(dir, "delegation.yaml")
	keyFile := filepath.Join(dir, "gslb-a.key")
	harness.WriteFile(t, keyFile, "key \"gslb-a\" {\n\talgorithm hmac-sha256;\n\tsecret \"c2VjcmV0IG9mIGdzbGItYSwgMzIgYnl0ZXMgbG9uZy4=\";\n};\n")
	harness.WriteFile(t, conf, fmt.Sprintf(`zone: avi.iberia.local
nameServer: {name: g-dns-a.iberia.local, addresses: [192.0.2.53]}
interval: 200ms
rfc2136: {server: %s, parentZone: iberia.local, keyFile: %s, timeout: 1s}
`, closedPort(t), keyFile))
	spec := fmt.Sprintf("kubernetes:%s?members=s1az1,s1az2,s2&config=s1az1&grace=%s&probe=200ms&zones=avi.iberia.local%s&probe-lease=%s/%s",
		l.kcfg, grace, leaseSpec("syncer-a"), kubescenario.PolicyNS, probeLease)
	s := harness.StartSyncer(t, "--source", spec, "--push", "unix://"+l.c.Sock, "--health-listen", "127.0.0.1:0", "--delegation", conf)
	l.c.WaitLoaded(wait)

	// Failing, and retried: the errors counted, one Event.
	const series = `gslb_syncer_delegation_errors_total{output="rfc2136",reason="unreachable"}`
	var ev corev1.Event
	harness.Eventually(t, wait, func() error {
		evs := delegationEvents(t, l, "DelegationFailed")
		if len(evs) == 0 {
			return fmt.Errorf("no DelegationFailed Event on Lease %s/%s yet", kubescenario.PolicyNS, probeLease)
		}
		ev = evs[0]
		if n := errorCount(t, s.Process, series); n < 3 {
			return fmt.Errorf("%s = %d, want 3 retries at least", series, n)
		}
		return nil
	})
	firstErrors := errorCount(t, s.Process, series)
	if ev.Type != corev1.EventTypeWarning || !strings.Contains(ev.Message, "NS g-dns-a.iberia.local., rfc2136 ") ||
		!strings.Contains(ev.Message, ": unreachable: ") {
		t.Errorf("DelegationFailed Event: %s %q, want a Warning naming the NS, rfc2136 and unreachable", ev.Type, ev.Message)
	}
	// On the Lease itself (its UID), so that kubectl describe lease shows it.
	lease, err := l.cs["s1az1"].CoordinationV1().Leases(kubescenario.PolicyNS).Get(l.ctx, probeLease, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ev.InvolvedObject.UID != lease.UID {
		t.Errorf("the Event's object has UID %q, the probe Lease %q", ev.InvolvedObject.UID, lease.UID)
	}
	// Two more retries later, still the one Event, counted once.
	harness.Eventually(t, wait, func() error {
		if n := errorCount(t, s.Process, series); n < firstErrors+2 {
			return fmt.Errorf("%s = %d, want %d", series, n, firstErrors+2)
		}
		return nil
	})
	evs := delegationEvents(t, l, "DelegationFailed")
	var counts []int32
	for _, e := range evs {
		counts = append(counts, e.Count)
		if e.Series != nil {
			counts = append(counts, e.Series.Count)
		}
	}
	if len(evs) != 1 || evs[0].Count > 1 || evs[0].Series != nil {
		t.Errorf("after %d errors: %d DelegationFailed Events (counts %v), want one, counted once",
			errorCount(t, s.Process, series), len(evs), counts)
	}
	if n := len(delegationEvents(t, l, "DelegationRegistered")); n != 0 {
		t.Errorf("%d DelegationRegistered Events while the parent is unreachable", n)
	}
	status := httpGetLogged(t, s.Process, "/status/delegation")
	if !strings.Contains(status, `"state":"failing"`) || !strings.Contains(status, `"reason":"unreachable"`) {
		t.Errorf("/status/delegation: %s, want failing, unreachable", status)
	}
}

// closedPort is a loopback address where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// delegationEvents are the Events of reason on the probe Lease.
func delegationEvents(t *testing.T, l *lab, reason string) []corev1.Event {
	t.Helper()
	sel := fields.Set{"involvedObject.kind": "Lease", "involvedObject.name": probeLease, "reason": reason}.AsSelector().String()
	evs, err := l.cs["s1az1"].CoreV1().Events(kubescenario.PolicyNS).List(l.ctx, metav1.ListOptions{FieldSelector: sel})
	if err != nil {
		t.Fatal(err)
	}
	return evs.Items
}

// errorCount is the value of the syncer's counter series, 0 if absent.
func errorCount(t *testing.T, p *harness.Process, series string) int {
	t.Helper()
	v := metricValue(t, p, series)
	if v == "" {
		return 0
	}
	n, err := strconv.ParseFloat(v, 64)
	if err != nil {
		t.Fatalf("%s = %q: %v", series, v, err)
	}
	return int(n)
}

// httpGetLogged GETs path on the syncer's metrics address.
func httpGetLogged(t *testing.T, p *harness.Process, path string) string {
	t.Helper()
	m := regexp.MustCompile(`msg="serving metrics" url=(\S+)/metrics`).FindStringSubmatch(p.Log())
	if m == nil {
		t.Fatalf("no metrics address logged:\n%s", p.Tail(20))
	}
	code, body, err := harness.HTTPGet(m[1] + path)
	if err != nil || code != 200 {
		t.Fatalf("GET %s: %d %v", path, code, err)
	}
	return body
}
