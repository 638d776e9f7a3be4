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
// its site's probe Lease, as the non-admin user of deploy/rbac (with
// delegation-dnsendpoint.yaml), keeps a delegation with two outputs: an
// RFC 2136 parent on a loopback port nobody listens on, and a DNSEndpoint
// object whose CRD is not installed yet. On the probe Lease in the config
// cluster it records one Warning DelegationFailed per output (rfc2136:
// unreachable; dnsendpoint: kubernetes), counted once however often it
// retries; /status/delegation says failing for both. The CRD installed,
// the dnsendpoint output is registered: one Normal DelegationRegistered,
// while rfc2136 keeps failing with its one Event.
func TestDelegationEvents(t *testing.T) {
	l := startClusters(t)
	must(t, l.env.WriteKubeconfig(l.kcfg, k8senv.NonAdmin))
	must(t, kubescenario.BindFileRoles(l.ctx, l.cs["s1az1"], harness.RepoRoot(t), "delegation-dnsendpoint", k8senv.NonAdmin.Name()))
	l.c = harness.StartCoreDNS(t, corefmt, nil)
	dir := t.TempDir()
	conf := filepath.Join(dir, "delegation.yaml")
	keyFile := filepath.Join(dir, "gslb-a.key")
	harness.WriteFile(t, keyFile, "key \"gslb-a\" {\n\talgorithm hmac-sha256;\n\tsecret \"c2VjcmV0IG9mIGdzbGItYSwgMzIgYnl0ZXMgbG9uZy4=\";\n};\n")
	harness.WriteFile(t, conf, fmt.Sprintf(`zone: avi.iberia.local
nameServer: {name: g-dns-a.iberia.local, addresses: [192.0.2.53]}
interval: 200ms
readiness: {siteDNS: false}   # the addresses are TEST-NET examples: no DNS check off loopback
rfc2136: {server: %s, parentZone: iberia.local, keyFile: %s, timeout: 1s}
dnsEndpoint: {kubeconfig: %s, context: s1az1, namespace: %s}
`, closedPort(t), keyFile, l.kcfg, kubescenario.PolicyNS))
	spec := fmt.Sprintf("kubernetes:%s?members=s1az1,s1az2,s2&config=s1az1&grace=%s&probe=200ms&zones=avi.iberia.local%s&probe-lease=%s/%s",
		l.kcfg, grace, leaseSpec("syncer-a"), kubescenario.PolicyNS, probeLease)
	s := harness.StartSyncer(t, "--source", spec, "--push", "unix://"+l.c.Sock, "--health-listen", "127.0.0.1:0", "--delegation", conf)
	l.c.WaitLoaded(wait)

	// Both failing, and retried: the errors counted, one Event each.
	const series = `gslb_syncer_delegation_errors_total{output="rfc2136",reason="unreachable"}`
	harness.Eventually(t, wait, func() error {
		for _, out := range []string{"rfc2136", "dnsendpoint"} {
			if len(outputEvents(t, l, "DelegationFailed", out)) == 0 {
				return fmt.Errorf("no DelegationFailed Event for %s on Lease %s/%s yet", out, kubescenario.PolicyNS, probeLease)
			}
		}
		if n := errorCount(t, s.Process, series); n < 3 {
			return fmt.Errorf("%s = %d, want 3 retries at least", series, n)
		}
		return nil
	})
	ev := outputEvents(t, l, "DelegationFailed", "rfc2136")[0]
	if ev.Type != corev1.EventTypeWarning || !strings.Contains(ev.Message, ": unreachable: ") {
		t.Errorf("rfc2136's DelegationFailed Event: %s %q, want a Warning naming unreachable", ev.Type, ev.Message)
	}
	if ev := outputEvents(t, l, "DelegationFailed", "dnsendpoint")[0]; !strings.Contains(ev.Message, ": kubernetes: ") {
		t.Errorf("dnsendpoint's DelegationFailed Event: %q, want the reason kubernetes (no DNSEndpoint CRD)", ev.Message)
	}
	// On the Lease itself (its UID), so that kubectl describe lease shows it.
	lease, err := l.cs["s1az1"].CoordinationV1().Leases(kubescenario.PolicyNS).Get(l.ctx, probeLease, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ev.InvolvedObject.UID != lease.UID {
		t.Errorf("the Event's object has UID %q, the probe Lease %q", ev.InvolvedObject.UID, lease.UID)
	}
	status := httpGetLogged(t, s.Process, "/status/delegation")
	if strings.Count(status, `"state":"failing"`) != 2 || !strings.Contains(status, `"reason":"unreachable"`) ||
		!strings.Contains(status, `"reason":"kubernetes"`) {
		t.Errorf("/status/delegation: %s, want both failing, unreachable and kubernetes", status)
	}

	// Two more tries later, still one Event per output, counted once.
	firstErrors := errorCount(t, s.Process, series)
	harness.Eventually(t, wait, func() error {
		if n := errorCount(t, s.Process, series); n < firstErrors+2 {
			return fmt.Errorf("%s = %d, want %d", series, n, firstErrors+2)
		}
		return nil
	})
	expectOnce(t, l, "DelegationFailed", "rfc2136")
	expectOnce(t, l, "DelegationFailed", "dnsendpoint")
	if n := len(delegationEvents(t, l, "DelegationRegistered")); n != 0 {
		t.Errorf("%d DelegationRegistered Events while neither output could register", n)
	}

	// ExternalDNS's CRD installed: the dnsendpoint output registers (its
	// backoff is several seconds by now); rfc2136 keeps its one Event.
	installDNSEndpointCRD(t, l.ctx, l.env.Cluster("s1az1").Config(), filepath.Join(harness.RepoRoot(t), "test/e2e/kube/testdata/dnsendpoint-crd.yaml"))
	harness.Eventually(t, 2*wait, func() error {
		if len(outputEvents(t, l, "DelegationRegistered", "dnsendpoint")) == 0 {
			return fmt.Errorf("no DelegationRegistered Event for dnsendpoint yet")
		}
		return nil
	})
	expectOnce(t, l, "DelegationRegistered", "dnsendpoint")
	expectOnce(t, l, "DelegationFailed", "rfc2136")
	if n := len(outputEvents(t, l, "DelegationRegistered", "rfc2136")); n != 0 {
		t.Errorf("%d DelegationRegistered Events for the unreachable rfc2136 parent", n)
	}
	status = httpGetLogged(t, s.Process, "/status/delegation")
	if !strings.Contains(status, `"state":"registered"`) || strings.Count(status, `"state":"failing"`) != 1 {
		t.Errorf("/status/delegation: %s, want dnsendpoint registered, rfc2136 failing", status)
	}
}

// outputEvents are the Events of reason on the probe Lease about output.
func outputEvents(t *testing.T, l *lab, reason, output string) []corev1.Event {
	t.Helper()
	var out []corev1.Event
	for _, e := range delegationEvents(t, l, reason) {
		if strings.Contains(e.Message, ", "+output+" ") {
			out = append(out, e)
		}
	}
	return out
}

// expectOnce checks there is one Event of reason about output, counted once.
func expectOnce(t *testing.T, l *lab, reason, output string) {
	t.Helper()
	evs := outputEvents(t, l, reason, output)
	var counts []int32
	for _, e := range evs {
		counts = append(counts, e.Count)
		if e.Series != nil {
			counts = append(counts, e.Series.Count)
		}
	}
	if len(evs) != 1 || evs[0].Count > 1 || evs[0].Series != nil {
		t.Errorf("%d %s Events about %s (counts %v), want one, counted once", len(evs), reason, output, counts)
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
