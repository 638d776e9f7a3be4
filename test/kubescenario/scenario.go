// Package kubescenario installs gslb's custom resources, the syncer's RBAC
// and the scenario's objects (hello Service and Ingress, their
// EndpointSlices, the 6:4:2 policy) into k8senv clusters. The e2e tests and `make lab` (test/tools/kubelab)
// share it.
package kubescenario

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"
)

// Scenario constants.
const (
	Zone      = "avi.iberia.local"
	Hello     = "hello.avi.iberia.local"
	PolicyNS  = "gslb"
	AppNS     = "default"
	GDPName   = "gslb-policy"
	SyncerCRs = "gslb-syncer"
)

// Addresses the scenario's load balancers get, by cluster.
var LBAddress = map[string]string{"s1az1": "127.0.0.11", "s1az2": "127.0.0.12", "s2": "127.0.0.13"}

// Members is the scenario's member clusters, in order.
var Members = []string{"s1az1", "s1az2", "s2"}

// The demo sites of `make lab` (test/tools/demosite), one per cluster, on
// LBAddress:SitePort, each page saying which site served it.
const SitePort = 8000

// SiteMessage is each cluster's demo site's message (as in `make run`).
var SiteMessage = map[string]string{
	"s1az1": "This service resides in SITE1 AZ1",
	"s1az2": "This service resides in SITE1 AZ2",
	"s2":    "This service resides in SITE2",
}

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// readYAML splits a multi-document YAML file.
func readYAML(path string) ([][]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var docs [][]byte
	for d := range strings.SplitSeq(string(b), "\n---") {
		if strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(d), "---")) != "" {
			docs = append(docs, []byte(d))
		}
	}
	return docs, nil
}

// InstallCRDs creates the CRDs of deploy/crds (under root) and waits until
// the policies can be listed.
func InstallCRDs(ctx context.Context, cfg *rest.Config, root string) error {
	files, _ := filepath.Glob(filepath.Join(root, "deploy/crds/*.yaml"))
	if len(files) == 0 {
		return fmt.Errorf("no CRDs in %s/deploy/crds", root)
	}
	return installCRDFiles(ctx, cfg, files, v1alpha1.GlobalDeploymentPolicies, v1alpha1.GSLBHostRules)
}

// BindRoles creates the ClusterRoles of deploy/rbac/NAME.yaml and binds
// them to user.
func BindRoles(ctx context.Context, cs kubernetes.Interface, root, user string, names ...string) error {
	for _, n := range names {
		docs, err := readYAML(filepath.Join(root, "deploy/rbac", n+".yaml"))
		if err != nil {
			return err
		}
		for _, d := range docs {
			var role rbacv1.ClusterRole
			if err := yaml.Unmarshal(d, &role); err != nil {
				return err
			}
			if _, err := cs.RbacV1().ClusterRoles().Create(ctx, &role, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
				return err
			}
			b := &rbacv1.ClusterRoleBinding{
				ObjectMeta: metav1.ObjectMeta{Name: role.Name + "-" + user},
				RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role.Name},
				Subjects:   []rbacv1.Subject{{APIGroup: "rbac.authorization.k8s.io", Kind: "User", Name: user}},
			}
			if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, b, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
				return err
			}
		}
	}
	return nil
}

// BindLeaseRole creates the Role of deploy/rbac/leader-election.yaml (the
// Lease of the status writer's election, in the syncer's namespace) and
// binds it to user in that namespace: the grant the deployed syncer has,
// no more. The file's own RoleBinding (to the ServiceAccount) is left out.
func BindLeaseRole(ctx context.Context, cs kubernetes.Interface, root, user string) error {
	return BindFileRoles(ctx, cs, root, "leader-election", user)
}

// BindFileRoles creates the Roles of deploy/rbac/NAME.yaml and binds each
// to user in its namespace; the file's own RoleBindings are left out.
func BindFileRoles(ctx context.Context, cs kubernetes.Interface, root, name, user string) error {
	docs, err := readYAML(filepath.Join(root, "deploy/rbac", name+".yaml"))
	if err != nil {
		return err
	}
	for _, d := range docs {
		var role rbacv1.Role
		if err := yaml.Unmarshal(d, &role); err != nil {
			return err
		}
		if role.Kind != "Role" {
			continue
		}
		if _, err := cs.RbacV1().Roles(role.Namespace).Create(ctx, &role, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
		b := &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Namespace: role.Namespace, Name: role.Name + "-" + user},
			RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: role.Name},
			Subjects:   []rbacv1.Subject{{APIGroup: "rbac.authorization.k8s.io", Kind: "User", Name: user}},
		}
		if _, err := cs.RbacV1().RoleBindings(role.Namespace).Create(ctx, b, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	return nil
}

// EnsureNamespace creates a namespace with labels (or relabels it).
func EnsureNamespace(ctx context.Context, cs kubernetes.Interface, name string, labels map[string]string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	_, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		cur, err := cs.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if cur.Labels == nil {
			cur.Labels = map[string]string{}
		}
		for k, v := range labels {
			cur.Labels[k] = v
		}
		_, err = cs.CoreV1().Namespaces().Update(ctx, cur, metav1.UpdateOptions{})
		return err
	}
	return err
}

// LB is a load balancer status entry: an IP or a hostname.
func LB(targets ...string) []corev1.LoadBalancerIngress {
	var out []corev1.LoadBalancerIngress
	for _, t := range targets {
		if strings.ContainsAny(t, ":") || (strings.Count(t, ".") == 3 && strings.Trim(t, "0123456789.") == "") {
			out = append(out, corev1.LoadBalancerIngress{IP: t})
		} else {
			out = append(out, corev1.LoadBalancerIngress{Hostname: t})
		}
	}
	return out
}

// Ingress creates an Ingress for host with labels, whose backend is the
// Service named like the Ingress (not created: a bare apiserver's ClusterIP
// range is small), and writes its load balancer status as an ingress
// controller would. It first writes the backend's EndpointSlice with
// ReadyEndpoints ready endpoints (EndpointSlice), as the endpoint controller
// would for running pods; that is done even when the Ingress already exists.
func Ingress(ctx context.Context, cs kubernetes.Interface, ns, name string, labels map[string]string, host string, targets ...string) error {
	if err := EndpointSlice(ctx, cs, ns, name, ReadyEndpoints, 0); err != nil {
		return err
	}
	pt := networkingv1.PathTypePrefix
	in := &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
		Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{Host: host, IngressRuleValue: networkingv1.IngressRuleValue{
			HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{Path: "/", PathType: &pt,
				Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: name, Port: networkingv1.ServiceBackendPort{Number: 80}}}}}},
		}}}},
	}
	created, err := cs.NetworkingV1().Ingresses(ns).Create(ctx, in, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	for _, l := range LB(targets...) {
		created.Status.LoadBalancer.Ingress = append(created.Status.LoadBalancer.Ingress, networkingv1.IngressLoadBalancerIngress{IP: l.IP, Hostname: l.Hostname})
	}
	_, err = cs.NetworkingV1().Ingresses(ns).UpdateStatus(ctx, created, metav1.UpdateOptions{})
	return err
}

// Service creates a Service of type LoadBalancer whose FQDNs are in our
// annotation, and writes its load balancer status as a cloud controller would.
// It first writes the Service's EndpointSlice with ReadyEndpoints ready
// endpoints (EndpointSlice), as the endpoint controller would for running
// pods; that is done even when the Service already exists.
func Service(ctx context.Context, cs kubernetes.Interface, ns, name string, labels map[string]string, fqdns string, targets ...string) (*corev1.Service, error) {
	if err := EndpointSlice(ctx, cs, ns, name, ReadyEndpoints, 0); err != nil {
		return nil, err
	}
	s := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels, Annotations: map[string]string{v1alpha1.AnnotationHostname: fqdns}},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Selector: map[string]string{"app": name},
			Ports: []corev1.ServicePort{{Name: "http", Port: 80}}},
	}
	created, err := cs.CoreV1().Services(ns).Create(ctx, s, metav1.CreateOptions{})
	if err != nil {
		return nil, err
	}
	created.Status.LoadBalancer.Ingress = LB(targets...)
	return cs.CoreV1().Services(ns).UpdateStatus(ctx, created, metav1.UpdateOptions{})
}

// Policy returns the scenario's policy: app=gslb in every member, split w.
func Policy(name string, ttl int32, w [3]int32) *v1alpha1.GlobalDeploymentPolicy {
	p := &v1alpha1.GlobalDeploymentPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.SchemeGroupVersion.String(), Kind: "GlobalDeploymentPolicy"},
		ObjectMeta: metav1.ObjectMeta{Namespace: PolicyNS, Name: name},
		Spec: v1alpha1.GlobalDeploymentPolicySpec{
			MatchRules: v1alpha1.MatchRules{AppSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "gslb"}}},
			TTL:        &ttl,
			Algorithm:  v1alpha1.AlgorithmWRR,
		},
	}
	for i, c := range Members {
		p.Spec.TrafficSplit = append(p.Spec.TrafficSplit, v1alpha1.TrafficSplit{Cluster: c, Weight: w[i]})
	}
	return p
}

// ToUnstructured converts a typed object for the dynamic client.
func ToUnstructured(obj runtime.Object) (*unstructured.Unstructured, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, err
	}
	return &unstructured.Unstructured{Object: m}, nil
}

// Apply creates a policy or host rule (typed) with the dynamic client.
func Apply(ctx context.Context, dyn dynamic.Interface, obj runtime.Object) error {
	u, err := ToUnstructured(obj)
	if err != nil {
		return err
	}
	gvr := v1alpha1.GlobalDeploymentPolicies
	if u.GetKind() == "GSLBHostRule" {
		gvr = v1alpha1.GSLBHostRules
	}
	_, err = dyn.Resource(gvr).Namespace(u.GetNamespace()).Create(ctx, u, metav1.CreateOptions{})
	return err
}

// InstallOptions vary the scenario InstallWith sets up; the zero value is
// Install's.
type InstallOptions struct {
	// HealthCheck, when set, is the policy's spec.healthCheck (absent by
	// default: the members are not probed).
	HealthCheck *v1alpha1.HealthCheck
	// Gateway names the members in which hello is published by the Gateway
	// API (PublishWithGateway: a Gateway and an HTTPRoute labelled app:
	// gslb, whose backend is the ClusterIP Service hello) instead of a
	// LoadBalancer Service and an Ingress. When set, the Gateway API CRDs
	// are installed in every member.
	Gateway []string
}

// Install sets up the whole scenario: CRDs and the config role in the
// config cluster (configCfg), the member role in every member, the hello
// Service and Ingress (app: gslb) with LB status and a ready EndpointSlice
// (ReadyEndpoints) in every member, and the 6:4:2 policy, without a health
// check. members maps cluster name → admin config.
func Install(ctx context.Context, root, syncerUser string, configCfg *rest.Config, members map[string]*rest.Config) error {
	return InstallWith(ctx, root, syncerUser, configCfg, members, InstallOptions{})
}

// InstallWith is Install with options.
func InstallWith(ctx context.Context, root, syncerUser string, configCfg *rest.Config, members map[string]*rest.Config, opts InstallOptions) error {
	if err := InstallCRDs(ctx, configCfg, root); err != nil {
		return err
	}
	ccs, err := kubernetes.NewForConfig(configCfg)
	if err != nil {
		return err
	}
	if err := BindRoles(ctx, ccs, root, syncerUser, "config-policies"); err != nil {
		return err
	}
	if err := EnsureNamespace(ctx, ccs, PolicyNS, nil); err != nil {
		return err
	}
	if err := BindLeaseRole(ctx, ccs, root, syncerUser); err != nil {
		return err
	}
	for _, name := range Members {
		cs, err := kubernetes.NewForConfig(members[name])
		if err != nil {
			return err
		}
		if err := BindRoles(ctx, cs, root, syncerUser, "member-readonly"); err != nil {
			return err
		}
		if err := publishHello(ctx, root, members[name], cs, name, opts); err != nil {
			return fmt.Errorf("%s: %v", name, err)
		}
	}
	dyn, err := dynamic.NewForConfig(configCfg)
	if err != nil {
		return err
	}
	p := Policy(GDPName, 2, [3]int32{6, 4, 2})
	p.Spec.HealthCheck = opts.HealthCheck
	if err := Apply(ctx, dyn, p); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	return nil
}

// publishHello publishes hello in the member name (admin config cfg): by
// a Gateway and an HTTPRoute when opts.Gateway names it, else by a
// LoadBalancer Service and an Ingress.
func publishHello(ctx context.Context, root string, cfg *rest.Config, cs kubernetes.Interface, name string, opts InstallOptions) error {
	if len(opts.Gateway) > 0 {
		if err := InstallGatewayCRDs(ctx, cfg, root); err != nil {
			return err
		}
	}
	if slices.Contains(opts.Gateway, name) {
		dyn, err := dynamic.NewForConfig(cfg)
		if err != nil {
			return err
		}
		return PublishWithGateway(ctx, cs, dyn, AppNS, LBAddress[name])
	}
	app := map[string]string{"app": "gslb"}
	if _, err := Service(ctx, cs, AppNS, "hello", app, Hello, LBAddress[name]); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	if err := Ingress(ctx, cs, AppNS, "hello", app, Hello, LBAddress[name]); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	return nil
}
