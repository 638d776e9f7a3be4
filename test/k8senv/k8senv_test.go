package k8senv_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gslbdns/gslb/test/internal/testhost"
	"github.com/gslbdns/gslb/test/k8senv"
	"github.com/gslbdns/gslb/test/wait"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// lbIP is the load balancer address the test writes as a cloud controller
// would: loopback only.
const lbIP = "127.0.0.11"

func TestEnv(t *testing.T) {
	begin := time.Now()
	env := k8senv.Start(t, "s1az1", "s1az2", "s2")
	t.Logf("3 clusters ready in %v", time.Since(begin).Round(time.Millisecond))
	for _, c := range env.Clusters {
		t.Logf("%s: %s, pid %d, RSS %s", c.Name, c.Host, c.Pid(), rss(c.Pid()))
	}

	t.Run("Isolation", func(t *testing.T) { testIsolation(t, env) })
	t.Run("LoadBalancerStatus", func(t *testing.T) { testLoadBalancerStatus(t, env) })
	t.Run("LeastPrivilege", func(t *testing.T) { testLeastPrivilege(t, env) })
	t.Run("Kubeconfig", func(t *testing.T) { testKubeconfig(t, env) })
	t.Run("Restart", func(t *testing.T) { testRestart(t, env) })

	for _, c := range env.Clusters {
		t.Logf("%s after the tests: RSS %s", c.Name, rss(c.Pid()))
	}
}

// TestLab starts a lab, stops it by its directory alone (as `kubelab down`
// does from another process) and starts it again in the same directory.
func TestLab(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "lab")
	t.Cleanup(func() {
		if err := k8senv.Stop(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("cleanup: %v", err)
		}
	})
	env, err := k8senv.StartLab(dir, "lab1")
	if err != nil {
		t.Fatal(err)
	}
	pid := env.Clusters[0].Pid()
	kubeconfig := k8senv.LabKubeconfig(dir, k8senv.Admin)
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	createNamespace(t, cs, "lab")

	if _, err := k8senv.StartLab(dir, "lab1"); err == nil || !strings.Contains(err.Error(), "is running") {
		t.Errorf("second StartLab on a running lab: err %v, want 'a lab is running'", err)
	}
	if err := k8senv.Stop(dir); err != nil {
		t.Fatal(err)
	}
	if _, running := testhost.Identify(pid); running {
		t.Errorf("apiserver pid %d still running after Stop", pid)
	}
	if err := k8senv.Stop(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stop of a stopped lab: err %v, want fs.ErrNotExist", err)
	}

	// A stopped lab's directory may be reused: the old lab's files go.
	env, err = k8senv.StartLab(dir, "lab1", "lab2")
	if err != nil {
		t.Fatal(err)
	}
	if len(env.Clusters) != 2 {
		t.Fatalf("%d clusters, want 2", len(env.Clusters))
	}
	if _, err := env.Cluster("lab1").Client().CoreV1().Namespaces().Get(t.Context(), "lab", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("namespace of the old lab: err %v, want NotFound", err)
	}
}

func testIsolation(t *testing.T, env *k8senv.Env) {
	ctx := t.Context()
	createNamespace(t, env.Cluster("s1az1").Client(), "isolation")
	for _, name := range []string{"s1az2", "s2"} {
		_, err := env.Cluster(name).Client().CoreV1().Namespaces().Get(ctx, "isolation", metav1.GetOptions{})
		if !apierrors.IsNotFound(err) {
			t.Errorf("%s: namespace created in s1az1: got err %v, want NotFound", name, err)
		}
	}
}

func testLoadBalancerStatus(t *testing.T, env *k8senv.Env) {
	ctx := t.Context()
	cs := env.Cluster("s1az1").Client()
	createNamespace(t, cs, "lb")
	svc := createLoadBalancer(t, cs, "lb", "dns")
	if svc.Spec.ClusterIP == "" || svc.Spec.Ports[0].NodePort == 0 {
		t.Errorf("the apiserver allocated no ClusterIP or NodePort: %+v", svc.Spec)
	}
	setIngress(t, cs, svc, lbIP)

	got, err := cs.CoreV1().Services("lb").Get(ctx, "dns", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ing := got.Status.LoadBalancer.Ingress
	if len(ing) != 1 || ing[0].IP != lbIP {
		t.Fatalf("status.loadBalancer.ingress = %+v, want [{IP: %s}]", ing, lbIP)
	}
	if ing[0].IPMode == nil || *ing[0].IPMode != corev1.LoadBalancerIPModeVIP {
		t.Errorf("ipMode = %v, want the server's default VIP", ing[0].IPMode)
	}
}

func testLeastPrivilege(t *testing.T, env *k8senv.Env) {
	ctx := t.Context()
	admin := env.Cluster("s1az2").Client()
	user := userClient(t, env.Cluster("s1az2"))
	createNamespace(t, admin, "rbac")
	svc := createLoadBalancer(t, admin, "rbac", "web")

	if _, err := user.CoreV1().Services("").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("%s lists services before any grant: err %v, want Forbidden", k8senv.NonAdmin, err)
	}

	grantServiceReader(t, admin)
	var list *corev1.ServiceList
	granted, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	wait.Poll(granted, t, "the grant not seen after 30s", func() (err error) {
		list, err = user.CoreV1().Services("").List(ctx, metav1.ListOptions{})
		return err
	})
	if !slices.ContainsFunc(list.Items, func(s corev1.Service) bool { return s.Namespace == "rbac" && s.Name == "web" }) {
		t.Errorf("the granted list misses rbac/web")
	}

	// The grant is list/watch of services, nothing more, and only in s1az2.
	if _, err := user.CoreV1().Secrets("rbac").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("listing secrets after the service grant: err %v, want Forbidden", err)
	}
	if _, err := user.CoreV1().Services("rbac").UpdateStatus(ctx, svc, metav1.UpdateOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("updating service status: err %v, want Forbidden", err)
	}
	if _, err := userClient(t, env.Cluster("s2")).CoreV1().Services("").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("s2, where nothing was granted: err %v, want Forbidden", err)
	}

	// Watch works with the grant: the user sees the load balancer status a
	// cloud controller writes.
	w, err := user.CoreV1().Services("rbac").Watch(ctx, metav1.ListOptions{ResourceVersion: list.ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	setIngress(t, admin, svc, lbIP)
	timeout := time.After(30 * time.Second)
	for {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				t.Fatal("the watch ended")
			}
			s, isSvc := ev.Object.(*corev1.Service)
			if ev.Type == watch.Modified && isSvc && s.Name == "web" &&
				len(s.Status.LoadBalancer.Ingress) == 1 && s.Status.LoadBalancer.Ingress[0].IP == lbIP {
				return
			}
		case <-timeout:
			t.Fatal("no watch event with the load balancer status within 30s")
		}
	}
}

func testKubeconfig(t *testing.T, env *k8senv.Env) {
	ctx := t.Context()
	dir := t.TempDir()
	for _, u := range []k8senv.User{k8senv.Admin, k8senv.NonAdmin} {
		path := filepath.Join(dir, u.Name())
		if err := env.WriteKubeconfig(path, u); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v; want mode 0600 (it holds tokens)", path, err, fi.Mode().Perm())
		}
		raw, err := clientcmd.LoadFromFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var contexts []string
		for name := range raw.Contexts {
			contexts = append(contexts, name)
		}
		slices.Sort(contexts)
		if want := []string{"s1az1", "s1az2", "s2"}; !slices.Equal(contexts, want) {
			t.Errorf("%s: contexts %v, want %v", u, contexts, want)
		}
		for _, c := range env.Clusters {
			cfg, err := clientcmd.NewNonInteractiveClientConfig(*raw, c.Name, nil, nil).ClientConfig()
			if err != nil {
				t.Fatal(err)
			}
			cs, err := kubernetes.NewForConfig(cfg)
			if err != nil {
				t.Fatal(err)
			}
			_, err = cs.CoreV1().Namespaces().Get(ctx, "isolation", metav1.GetOptions{})
			switch {
			case u == k8senv.NonAdmin:
				if !apierrors.IsForbidden(err) {
					t.Errorf("%s context %s: get namespace: err %v, want Forbidden", u, c.Name, err)
				}
			case c.Name == "s1az1":
				if err != nil {
					t.Errorf("%s context %s: %v", u, c.Name, err)
				}
			default: // the context reaches its own cluster, where the namespace is absent
				if !apierrors.IsNotFound(err) {
					t.Errorf("%s context %s: get namespace isolation: err %v, want NotFound", u, c.Name, err)
				}
			}
		}
	}
}

func testRestart(t *testing.T, env *k8senv.Env) {
	ctx := t.Context()
	c := env.Cluster("s1az2")
	cs := c.Client()
	createNamespace(t, cs, "persist")
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "kept", Namespace: "persist"},
		Data:       map[string]string{"k": "v"},
	}
	if _, err := cs.CoreV1().ConfigMaps("persist").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	oldPid := c.Pid()

	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if c.Running() {
		t.Fatal("Running after Stop")
	}
	_, err := cs.CoreV1().Namespaces().Get(ctx, "persist", metav1.GetOptions{})
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("get from the stopped apiserver: err %v, want connection refused", err)
	}
	// The other members keep serving.
	for _, name := range []string{"s1az1", "s2"} {
		if _, err := env.Cluster(name).Client().CoreV1().Namespaces().List(ctx, metav1.ListOptions{}); err != nil {
			t.Errorf("%s while s1az2 is down: %v", name, err)
		}
	}

	begin := time.Now()
	if err := c.Restart(); err != nil {
		t.Fatal(err)
	}
	t.Logf("s1az2 ready again %v after Restart", time.Since(begin).Round(time.Millisecond))
	if c.Pid() == oldPid {
		t.Errorf("pid %d unchanged by Restart", oldPid)
	}
	// The clientset made before the stop works again, and the data is back.
	got, err := cs.CoreV1().ConfigMaps("persist").Get(ctx, "kept", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Data["k"] != "v" {
		t.Errorf("configmap data %v after restart, want k=v", got.Data)
	}
	// And it is still isolated from the others.
	if _, err := env.Cluster("s2").Client().CoreV1().Namespaces().Get(ctx, "persist", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("s2: namespace of s1az2: err %v, want NotFound", err)
	}
}

func createNamespace(t *testing.T, cs kubernetes.Interface, name string) {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if _, err := cs.CoreV1().Namespaces().Create(t.Context(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func createLoadBalancer(t *testing.T, cs kubernetes.Interface, ns, name string) *corev1.Service {
	t.Helper()
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeLoadBalancer,
			Selector: map[string]string{"app": name},
			Ports: []corev1.ServicePort{{
				Name: "dns", Protocol: corev1.ProtocolUDP, Port: 53, TargetPort: intstr.FromInt32(5353),
			}},
		},
	}
	got, err := cs.CoreV1().Services(ns).Create(t.Context(), svc, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// setIngress plays the cloud controller: it writes the load balancer's
// address into the status subresource.
func setIngress(t *testing.T, cs kubernetes.Interface, svc *corev1.Service, ip string) {
	t.Helper()
	ctx := t.Context()
	cur, err := cs.CoreV1().Services(svc.Namespace).Get(ctx, svc.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cur.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: ip}}
	if _, err := cs.CoreV1().Services(svc.Namespace).UpdateStatus(ctx, cur, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// grantServiceReader lets the non-admin user list and watch services in
// every namespace.
func grantServiceReader(t *testing.T, cs kubernetes.Interface) {
	t.Helper()
	ctx := t.Context()
	role := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "service-reader"},
		Rules: []rbacv1.PolicyRule{{
			APIGroups: []string{""}, Resources: []string{"services"}, Verbs: []string{"list", "watch"},
		}},
	}
	if _, err := cs.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "service-reader"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: k8senv.NonAdmin.Name()}},
	}
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func userClient(t *testing.T, c *k8senv.Cluster) kubernetes.Interface {
	t.Helper()
	cs, err := kubernetes.NewForConfig(c.UserConfig(k8senv.NonAdmin))
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// rss is the resident set size of process pid, from /proc.
func rss(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return err.Error()
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
