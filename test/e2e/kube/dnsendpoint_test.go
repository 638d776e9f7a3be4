package kube

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gslbdns/gslb/syncer/delegation"
	"github.com/gslbdns/gslb/test/e2e/harness"
	"github.com/gslbdns/gslb/test/k8senv"
	"github.com/gslbdns/gslb/test/kubescenario"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"
)

// TestDelegationDNSEndpoint: two sites' gslb-syncers with --delegation
// writing to a DNSEndpoint object (ExternalDNS's CRD, installed in a real
// kube-apiserver) as a NON-ADMIN user holding only the Role of
// deploy/rbac/delegation-dnsendpoint.yaml. Both sites' NS targets and
// glue are written to the one object; site A's coredns-gslb stopped, its
// target and glue leave after the configured time, B's stay; B stopped
// too, B's target stays (the zone's last NS); A back, A's target is back.
func TestDelegationDNSEndpoint(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	env := k8senv.Start(t, "s1az1")
	admin := env.Cluster("s1az1").Config()
	root := harness.RepoRoot(t)
	installDNSEndpointCRD(t, ctx, admin, filepath.Join(root, "test/e2e/kube/testdata/dnsendpoint-crd.yaml"))
	cs := env.Cluster("s1az1").Client()
	if err := kubescenario.EnsureNamespace(ctx, cs, "gslb", nil); err != nil {
		t.Fatal(err)
	}
	if err := kubescenario.BindFileRoles(ctx, cs, root, "delegation-dnsendpoint", k8senv.NonAdmin.Name()); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	kcfg := filepath.Join(dir, "kubeconfig")
	if err := env.WriteKubeconfig(kcfg, k8senv.NonAdmin); err != nil {
		t.Fatal(err)
	}
	members := filepath.Join(dir, "members.yaml")
	harness.WriteFile(t, members, "records:\n  - fqdn: test.avi.iberia.local\n    members:\n      - {address: 192.0.2.20}\n")

	const withdrawAfter = 2 * time.Second
	type site struct {
		ns, addr string
		dns      *harness.CoreDNS
		syncer   *harness.Syncer
	}
	sites := []*site{{ns: "g-dns-a.iberia.local", addr: "192.0.2.53"}, {ns: "g-dns-b.iberia.local", addr: "192.0.2.54"}}
	for i, s := range sites {
		s.dns = harness.StartCoreDNS(t, corefmt, nil)
		conf := filepath.Join(dir, fmt.Sprintf("delegation-%d.yaml", i))
		harness.WriteFile(t, conf, fmt.Sprintf(`zone: avi.iberia.local
nameServer: {name: %s, addresses: [%s]}
ttl: 60
withdrawAfter: %s
interval: 200ms
readiness: {siteDNS: false}   # the addresses are TEST-NET examples: no DNS check off loopback
dnsEndpoint: {kubeconfig: %s, context: s1az1, namespace: gslb}
`, s.ns, s.addr, withdrawAfter, kcfg))
		s.syncer = harness.StartSyncer(t, "--source", "file:"+members, "--push", "unix://"+s.dns.Sock, "--delegation", conf)
	}
	dyn, err := dynamic.NewForConfig(admin)
	if err != nil {
		t.Fatal(err)
	}
	obj := dyn.Resource(delegation.DNSEndpoints).Namespace("gslb")
	const both = "avi.iberia.local NS 60 [g-dns-a.iberia.local g-dns-b.iberia.local]; " +
		"g-dns-a.iberia.local A 60 [192.0.2.53]; g-dns-b.iberia.local A 60 [192.0.2.54]"
	waitEndpoints(t, ctx, obj, both)

	stopped := time.Now()
	sites[0].dns.Stop()
	waitEndpoints(t, ctx, obj, "avi.iberia.local NS 60 [g-dns-b.iberia.local]; g-dns-b.iberia.local A 60 [192.0.2.54]")
	took := time.Since(stopped)
	t.Logf("site A's target left the DNSEndpoint %v after its DNS stopped (configured %v)", took.Round(10*time.Millisecond), withdrawAfter)
	if took < withdrawAfter {
		t.Errorf("site A withdrawn %v after its DNS stopped, before the configured %v", took, withdrawAfter)
	}

	// B is the last NS: it stays, and its syncer says why.
	sites[1].dns.Stop()
	harness.Eventually(t, wait, func() error {
		if !strings.Contains(sites[1].syncer.Log(), "the zone's last one: not withdrawn") {
			return fmt.Errorf("site B's syncer has not held back its withdrawal yet")
		}
		return nil
	})
	waitEndpoints(t, ctx, obj, "avi.iberia.local NS 60 [g-dns-b.iberia.local]; g-dns-b.iberia.local A 60 [192.0.2.54]")

	sites[0].dns.Restart()
	waitEndpoints(t, ctx, obj, both)
	for _, s := range sites {
		if strings.Contains(s.syncer.Log(), "level=ERROR") {
			t.Errorf("a syncer logged an error:\n%s", s.syncer.Tail(20))
		}
	}
}

// waitEndpoints waits until the DNSEndpoint object's endpoints, shown as
// "NAME TYPE TTL [TARGETS]" sorted and joined by "; ", are want.
func waitEndpoints(t *testing.T, ctx context.Context, obj dynamic.ResourceInterface, want string) {
	t.Helper()
	harness.Eventually(t, wait, func() error {
		u, err := obj.Get(ctx, "gslb-delegation-avi-iberia-local", metav1.GetOptions{})
		if err != nil {
			return err
		}
		eps, _, _ := unstructured.NestedSlice(u.Object, "spec", "endpoints")
		var got []string
		for _, ep := range eps {
			m := ep.(map[string]any)
			ts, _, _ := unstructured.NestedStringSlice(m, "targets")
			ttl, _, _ := unstructured.NestedInt64(m, "recordTTL")
			got = append(got, fmt.Sprintf("%s %s %d %v", m["dnsName"], m["recordType"], ttl, ts))
		}
		slices.Sort(got)
		if s := strings.Join(got, "; "); s != want {
			return fmt.Errorf("DNSEndpoint endpoints: %s, want %s", s, want)
		}
		return nil
	})
}

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// installDNSEndpointCRD creates the CRD of path and waits until it is served.
func installDNSEndpointCRD(t *testing.T, ctx context.Context, cfg *rest.Config, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(data, &u.Object); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dyn.Resource(crdGVR).Create(ctx, u, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("%s: %v", path, err)
	}
	harness.Eventually(t, wait, func() error {
		_, err := dyn.Resource(delegation.DNSEndpoints).Namespace("default").List(ctx, metav1.ListOptions{})
		return err
	})
}
