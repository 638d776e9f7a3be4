// Package deploy_test checks everything under deploy/ against a real
// kube-apiserver (test/k8senv): the CRDs are created and an example policy is
// accepted while an invalid one is refused by the schema; the RBAC files, the
// kustomize base and overlays (rendered by the kustomize binary) and the Helm
// chart (rendered by the helm binary, with the default values, with
// ci/nodeport-values.yaml and as the second site of sites/) are applied with
// server-side dry-run and strict field validation. The rendered objects are
// also decoded and checked (the DaemonSet's two containers, shared socket,
// probes, resources, security contexts, nodeSelector, rolling update,
// topology spread; the PodDisruptionBudget; the lease Role; the Service; the
// automatic delegation's file, parsed by the syncer's own delegation.LoadFile,
// its TSIG Secret and DNSEndpoint Role: delegation_test.go), and
// the Corefile of every ConfigMap is run by the real bin/coredns-gslb, fed an
// empty table by the real bin/gslb-syncer.
//
// helm and kustomize are built from the Go module proxy on first use and
// cached under ${GSLB_CACHE:-~/.cache/gslb}/{helm,kustomize}/<version>/.
package deploy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gslbdns/gslb/test/e2e/harness"
	"github.com/gslbdns/gslb/test/internal/gotool"
	"github.com/gslbdns/gslb/test/k8senv"

	"github.com/miekg/dns"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/yaml"
)

// Tool versions, built from the module proxy (Helm v3 and kustomize v5 whose
// go.mod this repository's Go accepts).
const (
	helmModule       = "helm.sh/helm/v3/cmd/helm"
	helmVersion      = "v3.22.0"
	kustomizeModule  = "sigs.k8s.io/kustomize/kustomize/v5"
	kustomizeVersion = "v5.8.1"
)

const fieldManager = "gslb-deploy-test"

func TestDeploy(t *testing.T) {
	root := harness.RepoRoot(t)
	deploy := filepath.Join(root, "deploy")
	helm := gotool.Bin(t, "helm", helmModule, helmVersion)
	kustomize := gotool.Bin(t, "kustomize", kustomizeModule, kustomizeVersion)

	env := k8senv.Start(t, "cfg")
	k := newKube(t, env.Cluster("cfg").Config())

	// The CRDs, for real (a dry-run would not make the kinds exist).
	for _, o := range readDir(t, filepath.Join(deploy, "crds")) {
		k.create(t, o)
	}
	k.waitEstablished(t, "globaldeploymentpolicies.gslb.gslbdns.io", "gslbhostrules.gslb.gslbdns.io")
	for _, ns := range []string{"gslb", "gslb-edge", "avi-system"} {
		k.create(t, namespace(ns))
	}

	t.Run("rbac", func(t *testing.T) {
		objs := readDir(t, filepath.Join(deploy, "rbac"))
		k.dryRunAll(t, objs)
		// The bindings' subject is the ServiceAccount that serviceaccounts.yaml
		// defines and the manifests run the DaemonSet as.
		sa := find(t, objs, "ServiceAccount", "gslb-syncer")
		for _, b := range filterKind(objs, "ClusterRoleBinding") {
			subj, _, _ := unstructured.NestedSlice(b.Object, "subjects")
			s := subj[0].(map[string]any)
			if s["name"] != sa.GetName() || s["namespace"] != sa.GetNamespace() {
				t.Errorf("ClusterRoleBinding %s binds %v/%v, want the ServiceAccount %s/%s", b.GetName(), s["namespace"], s["name"], sa.GetNamespace(), sa.GetName())
			}
		}
		// The lease grant of leader-election.yaml: the syncer's namespace only.
		checkLeaseGrant(t, objs, find(t, objs, "Role", "gslb-syncer-leader-election"), sa.GetName(), sa.GetNamespace())
	})

	t.Run("examples", func(t *testing.T) {
		dir := filepath.Join(deploy, "examples")
		for _, f := range []string{"globaldeploymentpolicy.yaml", "gslbhostrule.yaml"} {
			for _, o := range readFile(t, filepath.Join(dir, f)) {
				k.create(t, o)
				got := k.get(t, o)
				if a, b := jsonOf(t, got.Object["spec"]), jsonOf(t, o.Object["spec"]); a != b {
					t.Errorf("%s: read back spec %s, want %s", f, a, b)
				}
			}
		}
		gdp := find(t, readFile(t, filepath.Join(dir, "globaldeploymentpolicy.yaml")), "GlobalDeploymentPolicy", "global-gdp")
		split, _, _ := unstructured.NestedSlice(gdp.Object, "spec", "trafficSplit")
		if fmt.Sprint(split) != "[map[cluster:s1az1 weight:6] map[cluster:s1az2 weight:4] map[cluster:s2 weight:2]]" {
			t.Errorf("the example policy's trafficSplit is %v, want the scenario's 6:4:2", split)
		}

		for _, o := range readFile(t, filepath.Join(dir, "invalid-globaldeploymentpolicy.yaml")) {
			err := k.tryCreate(o, false)
			switch {
			case err == nil:
				t.Fatalf("the invalid policy %s was accepted", o.GetName())
			case !apierrors.IsInvalid(err):
				t.Fatalf("the invalid policy: want a schema error (422 Invalid), got %v", err)
			case !strings.Contains(err.Error(), "spec.trafficSplit[0].weight") || !strings.Contains(err.Error(), "1000"):
				t.Fatalf("the invalid policy: the error does not name spec.trafficSplit[0].weight and its maximum: %v", err)
			}
			t.Logf("refused as expected: %v", err)
		}
	})

	t.Run("kustomize", func(t *testing.T) {
		kdir := filepath.Join(deploy, "kustomize")
		checkKustomizationLists(t, filepath.Join(kdir, "base"))
		overlays, err := os.ReadDir(filepath.Join(kdir, "overlays"))
		if err != nil {
			t.Fatal(err)
		}
		for _, ov := range overlays {
			checkKustomizationLists(t, filepath.Join(kdir, "overlays", ov.Name()))
		}

		for _, c := range []struct {
			dir        string
			svcType    corev1.ServiceType
			nodePorts  int32
			probeLease string
			delegation *wantDelegation
		}{
			{"base", corev1.ServiceTypeLoadBalancer, 0, "", nil},
			{"overlays/nodeport", corev1.ServiceTypeNodePort, 30053, "", nil},
			{"overlays/shared-probes", corev1.ServiceTypeLoadBalancer, 0, "gslb/gslb-probes-s1", nil},
			{"overlays/delegation", corev1.ServiceTypeLoadBalancer, 0, "gslb/gslb-probes-s1", &wantDelegation{
				ns: "g-dns.iberia.local.", addrs: "[192.0.2.53]", server: "192.0.2.10:53", parentZone: "iberia.local.",
				tsigSecret: "gslb-tsig", tsigKey: "tsig.key",
			}},
		} {
			t.Run(c.dir, func(t *testing.T) {
				objs := decodeAll(t, run(t, kustomize, "build", filepath.Join(kdir, c.dir)))
				k.dryRunAll(t, objs)
				want := expect{
					namespace: "gslb", serviceAccount: "gslb-syncer", membersSecret: "gslb-members", membersKey: "kubeconfig",
					members: "s1az1,s1az2,s2", zone: "avi.iberia.local", persist: true, metricsPort: 9154,
					svcType: c.svcType, nodePort: c.nodePorts,
					soa:        "g-dns.iberia.local. johernandez.iberia.local. 30",
					probeLease: c.probeLease,
					delegation: c.delegation,
					images:     gslbImages(t, filepath.Join(deploy, "helm", "gslb")),
				}
				checkObjects(t, objs, want)
			})
		}
	})

	t.Run("helm", func(t *testing.T) {
		chart := filepath.Join(deploy, "helm", "gslb")
		// The chart's crds/ are copies of the generated deploy/crds.
		for _, f := range listYAML(t, filepath.Join(deploy, "crds")) {
			a, _ := os.ReadFile(filepath.Join(deploy, "crds", f))
			b, err := os.ReadFile(filepath.Join(chart, "crds", f))
			if err != nil || !bytes.Equal(a, b) {
				t.Errorf("deploy/helm/gslb/crds/%s differs from deploy/crds/%s (%v): cp deploy/crds/*.yaml deploy/helm/gslb/crds/", f, f, err)
			}
		}
		if a, b := listYAML(t, filepath.Join(deploy, "crds")), listYAML(t, filepath.Join(chart, "crds")); !slices.Equal(a, b) {
			t.Errorf("deploy/helm/gslb/crds holds %v, deploy/crds %v", b, a)
		}

		custom := filepath.Join(chart, "ci", "nodeport-values.yaml")
		for _, c := range []struct {
			name, release, ns string
			args              []string
			want              expect
		}{
			{"default", "gslb", "gslb", nil, expect{
				namespace: "gslb", serviceAccount: "gslb-syncer", membersSecret: "gslb-members", membersKey: "kubeconfig",
				members: "s1az1,s1az2,s2", zone: "avi.iberia.local", persist: true, metricsPort: 9154,
				svcType: corev1.ServiceTypeLoadBalancer,
				soa:     "g-dns.iberia.local. johernandez.iberia.local. 30",
				gdp:     "global-gdp", gdpClusters: "[s1az1 s1az2 s2]",
				roles: []string{"gslb-syncer-config", "gslb-syncer-member"},
				site:  "s1", leaseRole: true,
				benchCorefile: "test/tools/dnsbench/corefiles/helm.Corefile",
			}},
			{"hostpath", "gslb", "gslb", []string{"--set", "persistence.type=hostPath", "--set", "gdpConfig.create=false"}, expect{
				namespace: "gslb", serviceAccount: "gslb-syncer", membersSecret: "gslb-members", membersKey: "kubeconfig",
				members: "s1az1,s1az2,s2", zone: "avi.iberia.local", persist: true, hostPath: "/var/lib/gslb", metricsPort: 9154,
				svcType: corev1.ServiceTypeLoadBalancer,
				soa:     "g-dns.iberia.local. johernandez.iberia.local. 30",
				roles:   []string{"gslb-syncer-config", "gslb-syncer-member"},
				site:    "s1", leaseRole: true,
			}},
			{"nodeport-values", "edge", "gslb-edge", []string{"-f", custom}, expect{
				namespace: "gslb-edge", serviceAccount: "edge-syncer", membersSecret: "gslb-config-secret", membersKey: "gslb-members",
				members: "east,west", zone: "gslb.example.com", persist: false, metricsPort: 9254,
				svcType: corev1.ServiceTypeNodePort, nodePort: 30053,
				soa:       "ns1.gslb.example.com. hostmaster.example.com. 5",
				configCtx: "east",
				selector:  "app=gslb,tier in (web)",
				kinds:     "Gateway,HTTPRoute", routerNS: "none",
				gdp: "edge-gdp", gdpClusters: "[east west]",
				roles:      []string{"edge-gslb-syncer-config"},
				extraLines: []string{"log . {", "member_metrics off"},
				site:       "s1",
			}},
			// The second site of the N-site recipe (deploy/README.md): its own
			// name server in the SOA, every site's in the NS records, the
			// policies read from site 1's cluster, no RBAC of its own.
			{"site2", "gslb", "gslb", []string{"-f", filepath.Join(chart, "sites", "all-sites.yaml"), "-f", filepath.Join(chart, "sites", "site2.yaml")}, expect{
				namespace: "gslb", serviceAccount: "gslb-syncer", membersSecret: "gslb-members", membersKey: "kubeconfig",
				members: "s1az1,s1az2,s2", zone: "avi.iberia.local", persist: true, metricsPort: 9154,
				svcType:   corev1.ServiceTypeLoadBalancer,
				soa:       "g-dns-s2.iberia.local. johernandez.iberia.local. 30",
				ns:        []string{"g-dns-s2.iberia.local.", "g-dns.iberia.local."},
				configCtx: "s1az1",
				roles:     []string{},
				site:      "s2",
			}},
			// Shared probes in site 2: its own probe Lease; the status page.
			{"site2-shared-probes", "gslb", "gslb", []string{"-f", filepath.Join(chart, "sites", "all-sites.yaml"), "-f", filepath.Join(chart, "sites", "site2.yaml"),
				"--set", "probeSharing.enabled=true", "--set", "statusPage.enabled=true"}, expect{
				namespace: "gslb", serviceAccount: "gslb-syncer", membersSecret: "gslb-members", membersKey: "kubeconfig",
				members: "s1az1,s1az2,s2", zone: "avi.iberia.local", persist: true, metricsPort: 9154,
				svcType:    corev1.ServiceTypeLoadBalancer,
				soa:        "g-dns-s2.iberia.local. johernandez.iberia.local. 30",
				configCtx:  "s1az1",
				roles:      []string{},
				site:       "s2",
				probeLease: "gslb/gslb-probes-s2",
				statusPage: true,
			}},
			// Automatic delegation in site 1 (the example values): RFC 2136 with
			// the TSIG Secret and a DNSEndpoint with its Role, the probe leader
			// gating it; and an extra volume in coredns-gslb.
			{"delegation", "gslb", "gslb", []string{"-f", filepath.Join(chart, "ci", "delegation-values.yaml")}, expect{
				namespace: "gslb", serviceAccount: "gslb-syncer", membersSecret: "gslb-members", membersKey: "kubeconfig",
				members: "s1az1,s1az2,s2", zone: "avi.iberia.local", persist: true, metricsPort: 9154,
				svcType: corev1.ServiceTypeLoadBalancer,
				soa:     "g-dns.iberia.local. johernandez.iberia.local. 30",
				gdp:     "global-gdp", gdpClusters: "[s1az1 s1az2 s2]",
				roles: []string{"gslb-syncer-config", "gslb-syncer-member"},
				site:  "s1", leaseRole: true,
				probeLease: "gslb/gslb-probes-s1",
				delegation: &wantDelegation{ns: "g-dns.iberia.local.", addrs: "[192.0.2.53]", server: "192.0.2.10:53", parentZone: "iberia.local.",
					tsigSecret: "gslb-tsig", tsigKey: "tsig.key", endpointNS: "gslb", role: true},
				extraMounts: true,
			}},
			// Site 2 with unsigned updates (Windows DNS) and the DNSEndpoint
			// in the config cluster, through the member kubeconfig: its NS
			// name is its SOA's, and its Role is applied there, not rendered.
			{"site2-delegation", "gslb", "gslb", []string{"-f", filepath.Join(chart, "sites", "all-sites.yaml"), "-f", filepath.Join(chart, "sites", "site2.yaml"),
				"--set", "probeSharing.enabled=true", "--set", "delegation.enabled=true", "--set", "delegation.nameServer.addresses={192.0.2.54}",
				"--set", "delegation.rfc2136.server=192.0.2.10:5353", "--set", "delegation.rfc2136.parentZone=iberia.local",
				"--set", "delegation.rfc2136.unsigned=true", "--set", "delegation.dnsEndpoint.enabled=true"}, expect{
				namespace: "gslb", serviceAccount: "gslb-syncer", membersSecret: "gslb-members", membersKey: "kubeconfig",
				members: "s1az1,s1az2,s2", zone: "avi.iberia.local", persist: true, metricsPort: 9154,
				svcType:    corev1.ServiceTypeLoadBalancer,
				soa:        "g-dns-s2.iberia.local. johernandez.iberia.local. 30",
				configCtx:  "s1az1",
				roles:      []string{},
				site:       "s2",
				probeLease: "gslb/gslb-probes-s2",
				delegation: &wantDelegation{ns: "g-dns-s2.iberia.local.", addrs: "[192.0.2.54]", server: "192.0.2.10:5353", parentZone: "iberia.local.",
					endpointNS: "gslb", endpointContext: "s1az1"},
			}},
		} {
			t.Run(c.name, func(t *testing.T) {
				run(t, helm, append([]string{"lint", "--strict", chart}, c.args...)...)
				out := run(t, helm, append([]string{"template", c.release, chart, "--namespace", c.ns}, c.args...)...)
				objs := decodeAll(t, out)
				k.dryRunAll(t, objs)
				checkObjects(t, objs, c.want)
			})
		}
		// A value the chart refuses.
		cmd := exec.Command(helm, "template", "x", chart, "--set", "persistence.type=nfs")
		if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "persistence.type must be emptyDir or hostPath") {
			t.Errorf("helm template --set persistence.type=nfs: want a failure naming persistence.type, got %v: %s", err, out)
		}
		cmd = exec.Command(helm, "template", "x", chart, "--set", "metricsPlugin=statsd")
		if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "metricsPlugin must be gslbmetrics or prometheus") {
			t.Errorf("helm template --set metricsPlugin=statsd: want a failure naming metricsPlugin, got %v: %s", err, out)
		}
		for _, c := range [][2]string{
			{"delegation.enabled=true", "delegation.rfc2136.server is required"},
			{"delegation.enabled=true,delegation.rfc2136.enabled=false", "delegation.enabled needs delegation.rfc2136.enabled or delegation.dnsEndpoint.enabled"},
		} {
			cmd = exec.Command(helm, "template", "x", chart, "--set", c[0])
			if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), c[1]) {
				t.Errorf("helm template --set %s: want a failure saying %q, got %v: %s", c[0], c[1], err, out)
			}
		}
	})
}

// expect is what checkObjects looks for in one rendering.
type expect struct {
	namespace, serviceAccount string
	membersSecret, membersKey string
	members, zone, configCtx  string
	selector                  string
	kinds, routerNS           string // the kinds= and router-namespace= options; "": not given (auto, openshift-ingress)
	persist                   bool
	hostPath                  string // the persist volume's hostPath; empty: an emptyDir
	metricsPort               int32
	svcType                   corev1.ServiceType
	nodePort                  int32
	soa                       string // "MNAME RNAME TTL" seen in the SOA answer
	gdp, gdpClusters          string
	roles                     []string
	extraLines                []string
	site                      string          // the Pods' gslb.gslbdns.io/site label; "" for none
	leaseRole                 bool            // the leader-election Role is rendered
	probeLease                string          // the probe-lease option, with --health-listen and mutual TLS; "": none
	ns                        []string        // the apex NS names answered, sorted; nil: not checked
	delegation                *wantDelegation // gslb-syncer --delegation; nil: none
	extraMounts               bool            // ci/delegation-values.yaml's extraVolumes (delegation_test.go)
	statusPage                bool            // gslb-syncer --status-page, charting this Pod's CoreDNS
	images                    []string        // the two containers' images; nil: not checked
	// benchCorefile, when set, is the repository's copy of this rendering's
	// Corefile that `make bench` measures; it must be the same.
	benchCorefile string
}

// checkObjects decodes the DaemonSet, its ConfigMap and the Service and checks
// what the server's acceptance alone does not prove, then runs the Corefile.
func checkObjects(t *testing.T, objs []*unstructured.Unstructured, w expect) {
	t.Helper()
	for _, o := range objs {
		if isNamespaced(o.GetKind()) && o.GetNamespace() != w.namespace {
			t.Errorf("%s %s is in namespace %q, want %q", o.GetKind(), o.GetName(), o.GetNamespace(), w.namespace)
		}
	}
	dss := filterKind(objs, "DaemonSet")
	if len(dss) != 1 {
		t.Fatalf("want one DaemonSet, got %d", len(dss))
	}
	var ds appsv1.DaemonSet
	convert(t, dss[0], &ds)
	pod := ds.Spec.Template.Spec

	if pod.ServiceAccountName != w.serviceAccount {
		t.Errorf("serviceAccountName %q, want %q", pod.ServiceAccountName, w.serviceAccount)
	}
	find(t, objs, "ServiceAccount", w.serviceAccount)
	if ps := pod.SecurityContext; ps == nil || ps.RunAsNonRoot == nil || !*ps.RunAsNonRoot || ps.RunAsUser == nil || *ps.RunAsUser != 65532 ||
		ps.SeccompProfile == nil || ps.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod securityContext %+v: want runAsNonRoot, runAsUser 65532, seccomp RuntimeDefault", ps)
	}
	if !labelsMatch(ds.Spec.Selector.MatchLabels, ds.Spec.Template.Labels) {
		t.Errorf("DaemonSet selector %v does not match the template's labels %v", ds.Spec.Selector.MatchLabels, ds.Spec.Template.Labels)
	}
	if names := containerNames(pod.Containers); !slices.Equal(names, []string{"coredns-gslb", "gslb-syncer"}) {
		t.Fatalf("containers %v, want [coredns-gslb gslb-syncer]", names)
	}
	dnsC, syncer := pod.Containers[0], pod.Containers[1]
	if got := []string{dnsC.Image, syncer.Image}; w.images != nil && !slices.Equal(got, w.images) {
		t.Errorf("images %v, want %v: make images tags them with the chart's appVersion, and nodes without a registry have no other", got, w.images)
	}
	volumes := map[string]corev1.Volume{}
	for _, v := range pod.Volumes {
		volumes[v.Name] = v
	}

	// Security contexts: non-root, read-only root, NET_BIND_SERVICE only for DNS.
	for _, c := range pod.Containers {
		sc := c.SecurityContext
		if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
			sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || sc.Capabilities == nil ||
			!slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || (sc.RunAsNonRoot != nil && !*sc.RunAsNonRoot) ||
			(sc.Privileged != nil && *sc.Privileged) {
			t.Errorf("container %s securityContext %+v: want read-only root, no privilege escalation, drop ALL", c.Name, sc)
			continue
		}
		want := []corev1.Capability(nil)
		if c.Name == "coredns-gslb" {
			want = []corev1.Capability{"NET_BIND_SERVICE"}
		}
		if !slices.Equal(sc.Capabilities.Add, want) {
			t.Errorf("container %s adds capabilities %v, want %v", c.Name, sc.Capabilities.Add, want)
		}
		// Resources: requests for CPU and memory, a memory limit.
		r := c.Resources
		if r.Requests.Cpu().IsZero() || r.Requests.Memory().IsZero() || r.Limits.Memory().IsZero() {
			t.Errorf("container %s resources %+v: want cpu and memory requests and a memory limit", c.Name, r)
		}
		if c.LivenessProbe == nil || c.LivenessProbe.HTTPGet == nil {
			t.Errorf("container %s has no HTTP liveness probe", c.Name)
		}
	}

	// Ports and probes of coredns-gslb.
	ports := map[string]string{}
	for _, p := range dnsC.Ports {
		ports[p.Name] = fmt.Sprintf("%d/%s", p.ContainerPort, p.Protocol)
	}
	wantPorts := map[string]string{"dns": "53/UDP", "dns-tcp": "53/TCP", "health": "8080/TCP", "ready": "8181/TCP", "metrics": "9153/TCP"}
	if !maps.Equal(ports, wantPorts) {
		t.Errorf("coredns-gslb ports %v, want %v", ports, wantPorts)
	}
	probe := func(p *corev1.Probe, path, port string) {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != path || p.HTTPGet.Port.String() != port {
			t.Errorf("coredns-gslb probe %+v, want GET %s on port %s", p, path, port)
		}
	}
	probe(dnsC.LivenessProbe, "/health", "health")
	probe(dnsC.ReadinessProbe, "/ready", "ready")
	syncerPorts := 1 // the metrics; and the health stream's with shared probes
	if w.probeLease != "" {
		syncerPorts = 2
	}
	if len(syncer.Ports) != syncerPorts || syncer.Ports[0].ContainerPort != w.metricsPort ||
		syncer.LivenessProbe == nil || syncer.LivenessProbe.HTTPGet == nil || syncer.LivenessProbe.HTTPGet.Port.String() != syncer.Ports[0].Name {
		t.Errorf("gslb-syncer ports %+v / liveness %+v: want its metrics port %d probed", syncer.Ports, syncer.LivenessProbe, w.metricsPort)
	}

	// The socket: one emptyDir mounted in both containers at the same path,
	// where the Corefile listens and the syncer pushes.
	sockMount := mountOf(t, dnsC, "socket")
	if v := volumes["socket"]; v.EmptyDir == nil {
		t.Errorf("volume socket %+v: want an emptyDir", v)
	}
	if m := mountOf(t, syncer, "socket"); m.MountPath != sockMount.MountPath || m.ReadOnly || sockMount.ReadOnly {
		t.Errorf("socket mounted at %q in coredns-gslb and %q in gslb-syncer (read-only %v/%v): want one writable path", sockMount.MountPath, m.MountPath, sockMount.ReadOnly, m.ReadOnly)
	}
	sock := sockMount.MountPath + "/gslb.sock"
	args := map[string]string{}
	for _, a := range syncer.Args {
		k, v, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		args[k] = v
	}
	if args["push"] != "unix://"+sock {
		t.Errorf("gslb-syncer --push=%q, want unix://%s", args["push"], sock)
	}
	if _, page := args["status-page"]; page != w.statusPage || page != (args["status-answers"] == "http://127.0.0.1:9153/metrics") {
		t.Errorf("gslb-syncer --status-page %v --status-answers=%q: want the page %v, charting http://127.0.0.1:9153/metrics", page, args["status-answers"], w.statusPage)
	}
	source, ok := strings.CutPrefix(args["source"], "kubernetes:")
	if !ok {
		t.Fatalf("gslb-syncer --source=%q: want kubernetes:...", args["source"])
	}
	path, query, _ := strings.Cut(source, "?")
	membersMount := mountOf(t, syncer, "members")
	if mv := volumes["members"]; mv.Secret == nil || mv.Secret.SecretName != w.membersSecret {
		t.Errorf("volume members %+v: want the Secret %s", mv, w.membersSecret)
	}
	if membersMount.SubPath != "" || !membersMount.ReadOnly || path != membersMount.MountPath+"/"+w.membersKey {
		t.Errorf("members mounted %+v, kubeconfig %q: want the whole Secret read-only (no subPath, so updates reach the syncer) and key %s", membersMount, path, w.membersKey)
	}
	opts := parseQuery(t, query)
	if opts["members"] != w.members || opts["zones"] != w.zone || opts["config"] != w.configCtx || opts["selector"] != w.selector ||
		opts["metrics"] != fmt.Sprintf(":%d", w.metricsPort) {
		t.Errorf("gslb-syncer source options %v: want members=%s zones=%s config=%q selector=%q metrics=:%d", opts, w.members, w.zone, w.configCtx, w.selector, w.metricsPort)
	}
	if opts["kinds"] != w.kinds || opts["router-namespace"] != w.routerNS {
		t.Errorf("gslb-syncer source options %v: want kinds=%q router-namespace=%q", opts, w.kinds, w.routerNS)
	}
	// One status writer per config cluster: the Lease in the syncer's
	// namespace, each Pod named in it by its own name.
	if opts["lease"] != w.namespace+"/gslb-syncer" {
		t.Errorf("gslb-syncer source option lease=%q, want %s/gslb-syncer", opts["lease"], w.namespace)
	}
	if !slices.ContainsFunc(syncer.Env, func(e corev1.EnvVar) bool {
		return e.Name == "POD_NAME" && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.name"
	}) {
		t.Errorf("gslb-syncer env %+v: want POD_NAME from metadata.name (its identity in the Lease)", syncer.Env)
	}
	checkProbeSharing(t, syncer, volumes, opts, args, w.probeLease)
	checkDelegation(t, objs, ds, args, w.serviceAccount, w.delegation)
	if w.extraMounts {
		checkExtraMounts(t, ds)
	}
	for _, m := range syncer.VolumeMounts {
		if m.Name == "persist" || m.Name == "config" {
			t.Errorf("gslb-syncer mounts %s: the socket is the only thing the containers share", m.Name)
		}
	}

	// The Corefile.
	cmName := volumes["config"].ConfigMap
	if cmName == nil {
		t.Fatalf("volume config %+v: want the Corefile ConfigMap", volumes["config"])
	}
	var cm corev1.ConfigMap
	convert(t, find(t, objs, "ConfigMap", cmName.Name), &cm)
	corefile := cm.Data["Corefile"]
	if m := mountOf(t, dnsC, "config"); !slices.Contains(dnsC.Args, m.MountPath+"/Corefile") || m.SubPath != "" {
		t.Errorf("coredns-gslb args %v, config mount %+v: want -conf in the mounted ConfigMap (no subPath, so reload sees changes)", dnsC.Args, m)
	}
	for _, want := range append([]string{"reload", "listen unix://" + sock, w.zone + ":53 {"}, w.extraLines...) {
		if !strings.Contains(corefile, want) {
			t.Errorf("Corefile lacks %q:\n%s", want, corefile)
		}
	}
	if w.benchCorefile != "" {
		b, err := os.ReadFile(filepath.Join(harness.RepoRoot(t), w.benchCorefile))
		if err != nil || string(b) != corefile {
			t.Errorf("%s (the Corefile make bench measures as the chart's) differs from the chart's rendering (%v); write this into it:\n%s", w.benchCorefile, err, corefile)
		}
	}
	persistRe := regexp.MustCompile(`(?m)^\s*persist (\S+)$`)
	pm := persistRe.FindStringSubmatch(corefile)
	if w.persist {
		if pm == nil {
			t.Errorf("Corefile has no persist line:\n%s", corefile)
		} else if m := mountOf(t, dnsC, "persist"); filepath.Dir(pm[1]) != m.MountPath || m.ReadOnly {
			t.Errorf("persist %s is not in the writable persist mount %+v", pm[1], m)
		}
		if v := volumes["persist"]; w.hostPath == "" && v.EmptyDir == nil {
			t.Errorf("volume persist %+v: want an emptyDir", v)
		} else if w.hostPath != "" && (v.HostPath == nil || v.HostPath.Path != w.hostPath) {
			t.Errorf("volume persist %+v: want the hostPath %s", v, w.hostPath)
		}
	} else if pm != nil || volumes["persist"].Name != "" {
		t.Errorf("persistence off, but the Corefile says %q and the volumes are %v", pm, slices.Collect(maps.Keys(volumes)))
	}

	// The Service.
	svcs := filterKind(objs, "Service")
	if len(svcs) != 1 {
		t.Fatalf("want one Service, got %d", len(svcs))
	}
	var svc corev1.Service
	convert(t, svcs[0], &svc)
	if svc.Spec.Type != w.svcType || !labelsMatch(svc.Spec.Selector, ds.Spec.Template.Labels) {
		t.Errorf("Service type %s selector %v: want %s selecting the DaemonSet's pods %v", svc.Spec.Type, svc.Spec.Selector, w.svcType, ds.Spec.Template.Labels)
	}
	var sp []string
	for _, p := range svc.Spec.Ports {
		sp = append(sp, fmt.Sprintf("%d/%s->%s:%d", p.Port, p.Protocol, p.TargetPort.String(), p.NodePort))
	}
	wantSP := []string{fmt.Sprintf("53/UDP->dns:%d", w.nodePort), fmt.Sprintf("53/TCP->dns-tcp:%d", w.nodePort)}
	if !slices.Equal(sp, wantSP) {
		t.Errorf("Service ports %v, want %v", sp, wantSP)
	}

	// The default policy and the roles, when the rendering has them.
	if gdps := filterKind(objs, "GlobalDeploymentPolicy"); w.gdp == "" && len(gdps) > 0 {
		t.Errorf("want no GlobalDeploymentPolicy, got %s", gdps[0].GetName())
	} else if w.gdp != "" {
		g := find(t, objs, "GlobalDeploymentPolicy", w.gdp)
		mc, _, _ := unstructured.NestedStringSlice(g.Object, "spec", "matchClusters")
		if fmt.Sprint(mc) != w.gdpClusters {
			t.Errorf("policy %s matchClusters %v, want %s", w.gdp, mc, w.gdpClusters)
		}
	}
	var roles []string
	for _, r := range filterKind(objs, "ClusterRole") {
		roles = append(roles, r.GetName())
	}
	if sort.Strings(roles); w.roles != nil && !slices.Equal(roles, w.roles) {
		t.Errorf("ClusterRoles %v, want %v", roles, w.roles)
	}
	checkLeaseRole(t, objs, w)
	checkPlacement(t, objs, ds, w)

	t.Run("corefile", func(t *testing.T) { runCorefile(t, corefile, sock, pm, w) })
}

// runCorefile runs the ConfigMap's Corefile with bin/coredns-gslb, its ports
// and paths moved to loopback and temporary ones: it must start, answer
// SERVFAIL (no table) and not be ready; after gslb-syncer pushes an empty
// table it must answer the zone's SOA, authoritatively.
func runCorefile(t *testing.T, corefile, sock string, persist []string, w expect) {
	tmpl := corefile
	sub := func(old, new string) {
		t.Helper()
		if n := strings.Count(tmpl, old); n != 1 {
			t.Fatalf("Corefile: want %q once, found %d times:\n%s", old, n, corefile)
		}
		tmpl = strings.Replace(tmpl, old, new, 1)
	}
	sub(w.zone+":53 {", w.zone+`:{{port "dns"}} {`+"\n    bind 127.0.0.1")
	sub("health :8080", `health 127.0.0.1:{{port "health"}}`)
	sub("ready :8181", `ready 127.0.0.1:{{port "ready"}}`)
	sub("gslbmetrics :9153", `gslbmetrics 127.0.0.1:{{port "metrics"}}`)
	sub("unix://"+sock, "unix://{{.Sock}}")
	if persist != nil {
		sub("persist "+persist[1], "persist {{.Persist}}")
	}
	if strings.Contains(tmpl, "{{") != strings.Contains(tmpl, `{{port "dns"}}`) {
		t.Fatalf("Corefile has template braces of its own")
	}
	c := harness.StartCoreDNS(t, tmpl, nil)

	// Before any table: the apex SOA (from the Corefile, serial 0) but
	// SERVFAIL for names the table will hold.
	if r := harness.Query(t, c.Addr, "udp", w.zone, dns.TypeSOA); r.Rcode != dns.RcodeSuccess || !r.Authoritative || len(r.Answer) != 1 {
		t.Errorf("SOA before any table: %s, want NOERROR, aa, one SOA", harness.Brief(r))
	}
	if r := harness.Query(t, c.Addr, "udp", "www."+w.zone, dns.TypeA); r.Rcode != dns.RcodeServerFailure {
		t.Errorf("www.%s before any table: %s, want SERVFAIL", w.zone, harness.Brief(r))
	}
	if code, _, err := harness.HTTPGet("http://" + c.HostPort("health") + "/health"); err != nil || code != http.StatusOK {
		t.Errorf("/health: %d %v, want 200", code, err)
	}
	if code, _, err := harness.HTTPGet("http://" + c.HostPort("ready") + "/ready"); err != nil || code != http.StatusServiceUnavailable {
		t.Errorf("/ready before any table: %d %v, want 503", code, err)
	}

	members := filepath.Join(t.TempDir(), "members.yaml")
	harness.WriteFile(t, members, "records: []\n")
	harness.StartSyncer(t, "--source", "file:"+members, "--push", "unix://"+c.Sock)
	c.WaitLoaded(30 * time.Second)
	for _, proto := range []string{"udp", "tcp"} {
		r := harness.Query(t, c.Addr, proto, w.zone, dns.TypeSOA)
		if r.Rcode != dns.RcodeSuccess || !r.Authoritative || len(r.Answer) != 1 {
			t.Fatalf("SOA over %s after the push: %s, want NOERROR, aa, one SOA", proto, harness.Brief(r))
		}
		soa, ok := r.Answer[0].(*dns.SOA)
		if !ok {
			t.Fatalf("SOA answer %v", r.Answer[0])
		}
		if got := fmt.Sprintf("%s %s %d", soa.Ns, soa.Mbox, soa.Hdr.Ttl); got != w.soa {
			t.Errorf("SOA over %s: %q, want %q", proto, got, w.soa)
		}
	}
	if w.ns != nil {
		r := harness.Query(t, c.Addr, "udp", w.zone, dns.TypeNS)
		var names []string
		for _, rr := range r.Answer {
			if ns, ok := rr.(*dns.NS); ok {
				names = append(names, ns.Ns)
			}
		}
		if sort.Strings(names); r.Rcode != dns.RcodeSuccess || !slices.Equal(names, w.ns) {
			t.Errorf("NS of %s: %s, want %v", w.zone, harness.Brief(r), w.ns)
		}
	}
	harness.Eventually(t, 10*time.Second, func() error {
		if code, _, err := harness.HTTPGet("http://" + c.HostPort("ready") + "/ready"); err != nil || code != http.StatusOK {
			return fmt.Errorf("/ready after the push: %d %v, want 200", code, err)
		}
		return nil
	})
	if persist != nil {
		harness.Eventually(t, 10*time.Second, func() error {
			_, err := os.Stat(c.Persist)
			return err
		})
	}
}

// checkKustomizationLists checks that a kustomization lists exactly the YAML
// files of its directory (resources and patches), so that none is forgotten.
func checkKustomizationLists(t *testing.T, dir string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		Resources []string `json:"resources"`
		Patches   []struct {
			Path string `json:"path"`
		} `json:"patches"`
		ConfigMapGenerator []struct {
			Files []string `json:"files"`
		} `json:"configMapGenerator"`
	}
	if err := yaml.Unmarshal(b, &k); err != nil {
		t.Fatalf("%s/kustomization.yaml: %v", dir, err)
	}
	var listed []string
	for _, r := range k.Resources {
		if fi, err := os.Stat(filepath.Join(dir, r)); err != nil {
			t.Errorf("%s/kustomization.yaml lists %s: %v", dir, r, err)
		} else if !fi.IsDir() {
			listed = append(listed, filepath.Clean(r))
		}
	}
	for _, p := range k.Patches {
		if p.Path != "" {
			listed = append(listed, filepath.Clean(p.Path))
		}
	}
	for _, g := range k.ConfigMapGenerator {
		for _, f := range g.Files {
			_, path, _ := strings.Cut(f, "=") // KEY=PATH or PATH
			if path == "" {
				path = f
			}
			listed = append(listed, filepath.Clean(path))
		}
	}
	sort.Strings(listed)
	var present []string
	for _, f := range listYAML(t, dir) {
		if f != "kustomization.yaml" {
			present = append(present, f)
		}
	}
	if !slices.Equal(listed, present) {
		t.Errorf("%s/kustomization.yaml lists %v, the directory holds %v", dir, listed, present)
	}
}

// kube applies objects through the dynamic client and a RESTMapper.
type kube struct {
	dyn    dynamic.Interface
	mapper *restmapper.DeferredDiscoveryRESTMapper
}

func newKube(t *testing.T, cfg *rest.Config) *kube {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &kube{dyn: dyn, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))}
}

func (k *kube) resource(o *unstructured.Unstructured) (dynamic.ResourceInterface, error) {
	gvk := o.GroupVersionKind()
	m, err := k.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		k.mapper.Reset()
		m, err = k.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %v", gvk, err)
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		if o.GetNamespace() == "" {
			return nil, fmt.Errorf("%s %s: namespaced, but has no namespace", gvk.Kind, o.GetName())
		}
		return k.dyn.Resource(m.Resource).Namespace(o.GetNamespace()), nil
	} else if o.GetNamespace() != "" {
		return nil, fmt.Errorf("%s %s: cluster-scoped, but has namespace %q", gvk.Kind, o.GetName(), o.GetNamespace())
	}
	return k.dyn.Resource(m.Resource), nil
}

func (k *kube) tryCreate(o *unstructured.Unstructured, dryRun bool) error {
	r, err := k.resource(o)
	if err != nil {
		return err
	}
	opts := metav1.CreateOptions{FieldManager: fieldManager, FieldValidation: "Strict"}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = r.Create(ctx, o, opts)
	return err
}

// create creates o for real.
func (k *kube) create(t *testing.T, o *unstructured.Unstructured) {
	t.Helper()
	if err := k.tryCreate(o, false); err != nil {
		t.Fatalf("create %s %s: %v", o.GetKind(), o.GetName(), err)
	}
}

// dryRunAll applies every object with server-side apply, dry-run, strict
// field validation: what `kubectl apply --server-side --dry-run=server` does.
func (k *kube) dryRunAll(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	if len(objs) == 0 {
		t.Fatal("no objects to apply")
	}
	for _, o := range objs {
		if err := k.dryRunApply(o); err != nil {
			t.Errorf("server-side dry-run apply of %s %s/%s: %v", o.GetKind(), o.GetNamespace(), o.GetName(), err)
		}
	}
}

func (k *kube) dryRunApply(o *unstructured.Unstructured) error {
	r, err := k.resource(o)
	if err != nil {
		return err
	}
	data, err := o.MarshalJSON()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	force := true
	_, err = r.Patch(ctx, o.GetName(), types.ApplyPatchType, data, metav1.PatchOptions{
		DryRun: []string{metav1.DryRunAll}, FieldManager: fieldManager, Force: &force, FieldValidation: "Strict",
	})
	return err
}

func (k *kube) get(t *testing.T, o *unstructured.Unstructured) *unstructured.Unstructured {
	t.Helper()
	r, err := k.resource(o)
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Get(context.Background(), o.GetName(), metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get %s %s: %v", o.GetKind(), o.GetName(), err)
	}
	return got
}

// waitEstablished waits until the CRDs are Established and their kinds are
// served (the RESTMapper then finds them).
func (k *kube) waitEstablished(t *testing.T, names ...string) {
	t.Helper()
	crds := k.dyn.Resource(schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"})
	harness.Eventually(t, 60*time.Second, func() error {
		for _, n := range names {
			crd, err := crds.Get(context.Background(), n, metav1.GetOptions{})
			if err != nil {
				return err
			}
			conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
			ok := false
			for _, c := range conds {
				c := c.(map[string]any)
				ok = ok || (c["type"] == "Established" && c["status"] == "True")
			}
			if !ok {
				return fmt.Errorf("CRD %s not Established yet: %v", n, conds)
			}
		}
		k.mapper.Reset()
		for _, gk := range []schema.GroupKind{{Group: "gslb.gslbdns.io", Kind: "GlobalDeploymentPolicy"}, {Group: "gslb.gslbdns.io", Kind: "GSLBHostRule"}} {
			if _, err := k.mapper.RESTMapping(gk, "v1alpha1"); err != nil {
				return err
			}
		}
		return nil
	})
}

// run runs a tool and returns its stdout; a failure fails the test.
func run(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", filepath.Base(bin), strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.Bytes()
}

// decodeAll decodes a multi-document YAML stream; empty documents are skipped.
func decodeAll(t *testing.T, data []byte) []*unstructured.Unstructured {
	t.Helper()
	var out []*unstructured.Unstructured
	d := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		var m map[string]any
		if err := d.Decode(&m); errors.Is(err, io.EOF) {
			return out
		} else if err != nil {
			t.Fatalf("decoding YAML: %v", err)
		}
		if len(m) == 0 {
			continue
		}
		o := &unstructured.Unstructured{Object: m}
		if o.GetKind() == "" || o.GetAPIVersion() == "" || o.GetName() == "" {
			t.Fatalf("an object without apiVersion, kind or name: %v", m)
		}
		out = append(out, o)
	}
}

func readFile(t *testing.T, path string) []*unstructured.Unstructured {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return decodeAll(t, b)
}

func readDir(t *testing.T, dir string) []*unstructured.Unstructured {
	t.Helper()
	var out []*unstructured.Unstructured
	for _, f := range listYAML(t, dir) {
		out = append(out, readFile(t, filepath.Join(dir, f))...)
	}
	return out
}

func listYAML(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if !e.IsDir() && (strings.HasSuffix(e.Name(), ".yaml") || strings.HasSuffix(e.Name(), ".yml")) {
			out = append(out, e.Name())
		}
	}
	return out
}

func namespace(name string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": name},
	}}
}

func filterKind(objs []*unstructured.Unstructured, kind string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == kind {
			out = append(out, o)
		}
	}
	return out
}

func find(t *testing.T, objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	t.Helper()
	for _, o := range filterKind(objs, kind) {
		if o.GetName() == name {
			return o
		}
	}
	t.Fatalf("no %s %s among the objects", kind, name)
	return nil
}

// isNamespaced is for the kinds these manifests hold.
func isNamespaced(kind string) bool {
	switch kind {
	case "Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition":
		return false
	}
	return true
}

// convert decodes an object into its typed form, refusing unknown fields.
func convert(t *testing.T, o *unstructured.Unstructured, into any) {
	t.Helper()
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(o.Object, into, true); err != nil {
		t.Fatalf("decoding %s %s: %v", o.GetKind(), o.GetName(), err)
	}
}

func mountOf(t *testing.T, c corev1.Container, volume string) corev1.VolumeMount {
	t.Helper()
	for _, m := range c.VolumeMounts {
		if m.Name == volume {
			return m
		}
	}
	t.Fatalf("container %s does not mount volume %s", c.Name, volume)
	return corev1.VolumeMount{}
}

func containerNames(cs []corev1.Container) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

func labelsMatch(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func parseQuery(t *testing.T, q string) map[string]string {
	t.Helper()
	out := map[string]string{}
	vals, err := url.ParseQuery(q)
	if err != nil {
		t.Fatalf("source options %q: %v", q, err)
	}
	for k, v := range vals {
		out[k] = v[len(v)-1]
	}
	return out
}

// jsonOf is v in JSON (map keys sorted, numbers of any Go type alike).
func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// checkProbeSharing checks the shared probes' arguments: the probe Lease,
// the health stream's listen address, its mutual TLS files in a mounted
// Secret, and $POD_IP (the address the Lease advertises); or none of them.
func checkProbeSharing(t *testing.T, syncer corev1.Container, volumes map[string]corev1.Volume, opts, args map[string]string, lease string) {
	t.Helper()
	if lease == "" {
		if opts["probe-lease"] != "" || args["health-listen"] != "" {
			t.Errorf("gslb-syncer probe-lease=%q --health-listen=%q: want none", opts["probe-lease"], args["health-listen"])
		}
		return
	}
	if opts["probe-lease"] != lease || args["health-listen"] == "" {
		t.Errorf("gslb-syncer probe-lease=%q --health-listen=%q: want probe-lease=%s and a listen address", opts["probe-lease"], args["health-listen"], lease)
	}
	for _, f := range []string{"tls-cert", "tls-key", "tls-ca"} {
		dir := filepath.Dir(args[f])
		i := slices.IndexFunc(syncer.VolumeMounts, func(m corev1.VolumeMount) bool { return m.MountPath == dir })
		if i < 0 || volumes[syncer.VolumeMounts[i].Name].Secret == nil {
			t.Errorf("gslb-syncer --%s=%q: want a file of a mounted Secret", f, args[f])
		}
	}
	if !slices.ContainsFunc(syncer.Env, func(e corev1.EnvVar) bool {
		return e.Name == "POD_IP" && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "status.podIP"
	}) {
		t.Errorf("gslb-syncer env %+v: want POD_IP from status.podIP (the address in the probe Lease)", syncer.Env)
	}
}
