package deploy_test

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gslbdns/gslb/syncer/delegation"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// wantDelegation is the automatic delegation a rendering carries: the file
// gslb-syncer --delegation reads, as the syncer's own parser (LoadFile) sees
// it, and the TSIG key Secret and DNSEndpoint Role it needs.
type wantDelegation struct {
	ns, addrs          string // the NS name (canonical) and its addresses, as fmt prints them
	server, parentZone string // rfc2136 (canonical zone); "": no rfc2136 output
	tsigSecret         string // the key's Secret (mounted 0400); "": unsigned
	tsigKey            string // the key's name in the Secret
	endpointNS         string // the DNSEndpoint object's namespace; "": no dnsEndpoint output
	endpointContext    string // its kubeconfig context; "": in-cluster
	role               bool   // the chart renders the DNSEndpoint Role and its binding
}

// checkDelegation checks the --delegation flag, its file in a mounted
// ConfigMap, the TSIG key in a mounted Secret, and the DNSEndpoint Role; or
// that none of them is there when w is nil.
func checkDelegation(t *testing.T, objs []*unstructured.Unstructured, ds appsv1.DaemonSet, args map[string]string, sa string, w *wantDelegation) {
	t.Helper()
	pod := ds.Spec.Template.Spec
	syncer := pod.Containers[1]
	volumes := map[string]corev1.Volume{}
	for _, v := range pod.Volumes {
		volumes[v.Name] = v
	}
	if w == nil {
		if args["delegation"] != "" || volumes["delegation"].Name != "" || volumes["tsig"].Name != "" || dnsEndpointRole(objs) != nil {
			t.Errorf("gslb-syncer --delegation=%q, volumes %v, DNSEndpoint Role %v: want no delegation", args["delegation"], slices.Sorted(maps.Keys(volumes)), dnsEndpointRole(objs) != nil)
		}
		return
	}
	if slices.ContainsFunc(pod.Containers[0].VolumeMounts, func(m corev1.VolumeMount) bool { return m.Name == "tsig" || m.Name == "delegation" }) {
		t.Errorf("coredns-gslb mounts %+v: the delegation file and the TSIG key are the syncer's only", pod.Containers[0].VolumeMounts)
	}
	file := args["delegation"]
	data := delegationFile(t, objs, ds, syncer, volumes, file)
	if w.tsigSecret != "" {
		data = withTempKey(t, data, syncer, volumes, w)
	}
	path := filepath.Join(t.TempDir(), filepath.Base(file))
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := delegation.LoadFile(path)
	if err != nil {
		t.Fatalf("the rendered delegation file does not load: %v\n%s", err, data)
	}
	checkDelegationFile(t, f, w)
	checkDelegationRole(t, objs, sa, ds.Namespace, w)
}

// delegationFile is the text of the delegation file the syncer's flag
// names: a key of a ConfigMap mounted whole, read-only, whose change rolls
// the Pods (a checksum annotation, or kustomize's hashed name).
func delegationFile(t *testing.T, objs []*unstructured.Unstructured, ds appsv1.DaemonSet, syncer corev1.Container, volumes map[string]corev1.Volume, file string) string {
	t.Helper()
	m := mountOf(t, syncer, "delegation")
	cmv := volumes["delegation"].ConfigMap
	if file == "" || filepath.Dir(file) != m.MountPath || !m.ReadOnly || m.SubPath != "" || cmv == nil {
		t.Fatalf("gslb-syncer --delegation=%q, mount %+v, volume %+v: want a file of a ConfigMap mounted read-only", file, m, volumes["delegation"])
	}
	var cm corev1.ConfigMap
	convert(t, find(t, objs, "ConfigMap", cmv.Name), &cm)
	data, ok := cm.Data[filepath.Base(file)]
	if !ok {
		t.Fatalf("ConfigMap %s has no key %s: %v", cm.Name, filepath.Base(file), slices.Sorted(maps.Keys(cm.Data)))
	}
	if ds.Spec.Template.Annotations["checksum/delegation"] == "" && cm.Name == "gslb-delegation" {
		t.Errorf("the Pods do not roll when the delegation file changes: no checksum/delegation annotation, ConfigMap name %s without a hash", cm.Name)
	}
	return data
}

// withTempKey checks that the file's keyFile is the key of the TSIG Secret,
// mounted read-only with mode 0400, and points keyFile at a key written in
// a temporary directory (the mount does not exist here).
func withTempKey(t *testing.T, data string, syncer corev1.Container, volumes map[string]corev1.Volume, w *wantDelegation) string {
	t.Helper()
	m := mountOf(t, syncer, "tsig")
	sv := volumes["tsig"].Secret
	if sv == nil || sv.SecretName != w.tsigSecret || sv.DefaultMode == nil || *sv.DefaultMode != 0o400 || !m.ReadOnly || m.SubPath != "" {
		t.Errorf("tsig volume %+v, mount %+v: want the Secret %s, mode 0400, mounted whole and read-only", volumes["tsig"], m, w.tsigSecret)
	}
	keyFile := m.MountPath + "/" + w.tsigKey
	line := "keyFile: " + keyFile
	if strings.Count(data, line) != 1 {
		t.Fatalf("the delegation file does not name the mounted key %s once:\n%s", keyFile, data)
	}
	tmp := filepath.Join(t.TempDir(), w.tsigKey)
	key := "key \"gslb-site-a\" {\n\talgorithm hmac-sha256;\n\tsecret \"c2VjcmV0IG9mIHRoZSB0ZXN0LCBub3QgYSByZWFsIGtleQ==\";\n};\n"
	if err := os.WriteFile(tmp, []byte(key), 0o400); err != nil {
		t.Fatal(err)
	}
	return strings.Replace(data, line, "keyFile: "+tmp, 1)
}

func checkDelegationFile(t *testing.T, f *delegation.File, w *wantDelegation) {
	t.Helper()
	if f.Zone != "avi.iberia.local." || f.NS != w.ns {
		t.Errorf("delegation file: zone %s ns %s, want avi.iberia.local. and %s", f.Zone, f.NS, w.ns)
	}
	switch r := f.RFC2136; {
	case w.server == "" && r != nil:
		t.Errorf("delegation file: rfc2136 %+v, want none", r)
	case w.server != "" && r == nil:
		t.Errorf("delegation file: no rfc2136, want the parent %s", w.server)
	case r != nil:
		if r.Server != w.server || r.ParentZone != w.parentZone || fmt.Sprint(r.Addrs) != w.addrs || r.Unsigned != (w.tsigSecret == "") {
			t.Errorf("delegation file: rfc2136 server %s zone %s addrs %v unsigned %v, want %s %s %s unsigned %v",
				r.Server, r.ParentZone, r.Addrs, r.Unsigned, w.server, w.parentZone, w.addrs, w.tsigSecret == "")
		}
		if w.tsigSecret != "" && r.Key.Name != "gslb-site-a." {
			t.Errorf("delegation file: TSIG key %q read from the key file, want gslb-site-a.", r.Key.Name)
		}
	}
	switch e := f.DNSEndpoint; {
	case (e != nil) != (w.endpointNS != ""):
		t.Errorf("delegation file: dnsEndpoint %+v, want it in namespace %q", e, w.endpointNS)
	case e != nil:
		wantKubeconfig := ""
		if w.endpointContext != "" {
			wantKubeconfig = "/etc/gslb/members/kubeconfig"
		}
		if e.Namespace != w.endpointNS || e.Context != w.endpointContext || e.Kubeconfig != wantKubeconfig {
			t.Errorf("delegation file: dnsEndpoint %+v, want namespace %s, kubeconfig %q context %q", e, w.endpointNS, wantKubeconfig, w.endpointContext)
		}
	}
}

// checkDelegationRole checks the DNSEndpoint Role: get, create, update of
// dnsendpoints in the object's namespace, bound to the syncer's
// ServiceAccount; none when w.role is false.
func checkDelegationRole(t *testing.T, objs []*unstructured.Unstructured, sa, saNS string, w *wantDelegation) {
	t.Helper()
	o := dnsEndpointRole(objs)
	if !w.role {
		if o != nil {
			t.Errorf("Role %s grants dnsendpoints: want none", o.GetName())
		}
		return
	}
	if o == nil {
		t.Fatal("no Role grants dnsendpoints")
	}
	var role rbacv1.Role
	convert(t, o, &role)
	if role.Namespace != w.endpointNS || len(role.Rules) != 1 || !slices.Equal(role.Rules[0].Verbs, []string{"get", "create", "update"}) {
		t.Errorf("Role %s/%s rules %+v: want get, create, update of dnsendpoints in %s only", role.Namespace, role.Name, role.Rules, w.endpointNS)
	}
	for _, b := range filterKind(objs, "RoleBinding") {
		var rb rbacv1.RoleBinding
		convert(t, b, &rb)
		if rb.RoleRef.Name == role.Name && rb.Namespace == role.Namespace && len(rb.Subjects) == 1 &&
			rb.Subjects[0].Kind == "ServiceAccount" && rb.Subjects[0].Name == sa && rb.Subjects[0].Namespace == saNS {
			return
		}
	}
	t.Errorf("no RoleBinding binds Role %s/%s to the ServiceAccount %s/%s", role.Namespace, role.Name, saNS, sa)
}

// dnsEndpointRole is the Role that grants dnsendpoints, or nil.
func dnsEndpointRole(objs []*unstructured.Unstructured) *unstructured.Unstructured {
	for _, o := range filterKind(objs, "Role") {
		rules, _, _ := unstructured.NestedSlice(o.Object, "rules")
		if strings.Contains(fmt.Sprint(rules), "dnsendpoints") {
			return o
		}
	}
	return nil
}

// checkExtraMounts checks the extraVolumes example of
// ci/delegation-values.yaml: the DNSSEC key Secret in coredns-gslb only.
func checkExtraMounts(t *testing.T, ds appsv1.DaemonSet) {
	t.Helper()
	pod := ds.Spec.Template.Spec
	i := slices.IndexFunc(pod.Volumes, func(v corev1.Volume) bool { return v.Name == "dnssec" })
	if i < 0 || pod.Volumes[i].Secret == nil || pod.Volumes[i].Secret.SecretName != "gslb-dnssec" {
		t.Fatalf("volumes %+v: want dnssec, the Secret gslb-dnssec", pod.Volumes)
	}
	if m := mountOf(t, pod.Containers[0], "dnssec"); m.MountPath != "/etc/gslb/dnssec" || !m.ReadOnly {
		t.Errorf("coredns-gslb mounts dnssec %+v: want /etc/gslb/dnssec, read-only", m)
	}
	if slices.ContainsFunc(pod.Containers[1].VolumeMounts, func(m corev1.VolumeMount) bool { return m.Name == "dnssec" }) {
		t.Error("gslb-syncer mounts dnssec: extraVolumeMounts.coredns only")
	}
}
