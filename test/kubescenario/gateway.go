package kubescenario

// Gateway API and OpenShift Route objects for the tests: the CRDs (the
// gateway-api module's standard channel, from the module cache; a Route CRD
// with OpenShift's documented schema), and Gateways, routes and Routes
// with the status their controllers would write.

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"
)

// GatewayAPI is the gateway-api module whose CRDs are installed (the one
// go.mod requires).
const GatewayAPI = "sigs.k8s.io/gateway-api"

// The resources of the objects made here.
var (
	Gateways        = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gateways"}
	HTTPRoutes      = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "httproutes"}
	UDPRoutes       = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "udproutes"}
	OpenShiftRoutes = schema.GroupVersionResource{Group: "route.openshift.io", Version: "v1", Resource: "routes"}
)

// gatewayCRDs are the standard-channel files installed: the kinds the
// syncer reads.
var gatewayCRDs = []string{"gatewayclasses", "gateways", "httproutes", "grpcroutes", "tlsroutes", "tcproutes", "udproutes"}

// GatewayCRDDir is the standard-channel CRD directory of the gateway-api
// module in the module cache, found with `go list` from root.
func GatewayCRDDir(root string) (string, error) {
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", GatewayAPI)
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go list -m %s: %v", GatewayAPI, err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "config", "crd", "standard"), nil
}

// InstallGatewayCRDs installs the Gateway API CRDs and waits until
// HTTPRoutes can be listed.
func InstallGatewayCRDs(ctx context.Context, cfg *rest.Config, root string) error {
	dir, err := GatewayCRDDir(root)
	if err != nil {
		return err
	}
	var files []string
	for _, n := range gatewayCRDs {
		files = append(files, filepath.Join(dir, "gateway.networking.k8s.io_"+n+".yaml"))
	}
	return installCRDFiles(ctx, cfg, files, HTTPRoutes)
}

// InstallRouteCRD installs the OpenShift Route CRD of testdata and waits
// until Routes can be listed.
func InstallRouteCRD(ctx context.Context, cfg *rest.Config, root string) error {
	return installCRDFiles(ctx, cfg, []string{filepath.Join(root, "test/kubescenario/testdata/route.openshift.io_routes.yaml")}, OpenShiftRoutes)
}

// installCRDFiles creates the CRDs of files and waits until every one of
// gvrs is served.
func installCRDFiles(ctx context.Context, cfg *rest.Config, files []string, gvrs ...schema.GroupVersionResource) error {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	for _, f := range files {
		docs, err := readYAML(f)
		if err != nil {
			return err
		}
		for _, d := range docs {
			u := &unstructured.Unstructured{}
			if err := yaml.Unmarshal(d, &u.Object); err != nil {
				return fmt.Errorf("%s: %v", f, err)
			}
			if u.GetKind() != "CustomResourceDefinition" {
				continue
			}
			if _, err := dyn.Resource(crdGVR).Create(ctx, u, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
				return fmt.Errorf("%s: %v", f, err)
			}
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, gvr := range gvrs {
		for {
			_, err := dyn.Resource(gvr).List(ctx, metav1.ListOptions{})
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s not served: %v", gvr.Resource, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return nil
}

// Gateway creates a Gateway with one HTTP listener "web" on port 80 for
// host, and writes its status addresses as its controller would.
func Gateway(ctx context.Context, dyn dynamic.Interface, ns, name, host string, annotations map[string]string, addrs ...string) error {
	return GatewayWith(ctx, dyn, ns, name, Listener{Name: "web", Hostname: host, Port: 80, Protocol: "HTTP"}, annotations, addrs...)
}

// Listener is a Gateway's listener (Hostname "": none, as TCP and UDP
// listeners must be).
type Listener struct {
	Name, Hostname, Protocol string
	Port                     int64
}

// GatewayWith creates a Gateway with listener l, and writes its status
// addresses as its controller would.
func GatewayWith(ctx context.Context, dyn dynamic.Interface, ns, name string, l Listener, annotations map[string]string, addrs ...string) error {
	listener := map[string]any{"name": l.Name, "port": l.Port, "protocol": l.Protocol}
	if l.Hostname != "" {
		listener["hostname"] = l.Hostname
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
		"metadata": map[string]any{"namespace": ns, "name": name},
		"spec":     map[string]any{"gatewayClassName": "demo", "listeners": []any{listener}},
	}}
	if annotations != nil {
		u.SetAnnotations(annotations)
	}
	created, err := dyn.Resource(Gateways).Namespace(ns).Create(ctx, u, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	var st []any
	for _, a := range addrs {
		st = append(st, map[string]any{"type": "IPAddress", "value": a})
	}
	created.Object["status"] = map[string]any{"addresses": st}
	_, err = dyn.Resource(Gateways).Namespace(ns).UpdateStatus(ctx, created, metav1.UpdateOptions{})
	return err
}

// HTTPRoute creates an HTTPRoute for host with labels, attached to the
// Gateway gateway's listener "web", whose backend is the Service backend,
// and writes the status its Gateway's controller would: accepted.
func HTTPRoute(ctx context.Context, dyn dynamic.Interface, ns, name string, labels map[string]string, host, gateway, backend string) error {
	return GatewayRoute(ctx, dyn, HTTPRoutes, ns, name, labels, nil, []string{host}, gateway, "web", backend)
}

// GatewayRoute creates a route of resource gvr (HTTPRoute, UDPRoute…) with
// labels, annotations and hostnames (none for TCPRoute and UDPRoute), attached to the
// Gateway gateway's listener section, whose backend is the Service
// backend (port 80), and writes the status its Gateway's controller would:
// accepted.
func GatewayRoute(ctx context.Context, dyn dynamic.Interface, gvr schema.GroupVersionResource, ns, name string, labels, annotations map[string]string,
	hostnames []string, gateway, section, backend string) error {
	ref := map[string]any{"name": gateway, "sectionName": section}
	spec := map[string]any{"parentRefs": []any{ref},
		"rules": []any{map[string]any{"backendRefs": []any{map[string]any{"name": backend, "port": int64(80)}}}}}
	if len(hostnames) > 0 {
		hs := make([]any, len(hostnames))
		for i, h := range hostnames {
			hs[i] = h
		}
		spec["hostnames"] = hs
	}
	kind := map[string]string{"httproutes": "HTTPRoute", "grpcroutes": "GRPCRoute", "tlsroutes": "TLSRoute", "tcproutes": "TCPRoute", "udproutes": "UDPRoute"}[gvr.Resource]
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": gvr.GroupVersion().String(), "kind": kind,
		"metadata": map[string]any{"namespace": ns, "name": name},
		"spec":     spec,
	}}
	u.SetLabels(labels)
	u.SetAnnotations(annotations)
	created, err := dyn.Resource(gvr).Namespace(ns).Create(ctx, u, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	created.Object["status"] = map[string]any{"parents": []any{map[string]any{
		"parentRef": ref, "controllerName": "example.net/demo-gateway",
		"conditions": []any{map[string]any{"type": "Accepted", "status": "True", "reason": "Accepted", "message": "accepted",
			"lastTransitionTime": time.Now().UTC().Format(time.RFC3339)}},
	}}}
	_, err = dyn.Resource(gvr).Namespace(ns).UpdateStatus(ctx, created, metav1.UpdateOptions{})
	return err
}

// SetParents replaces an HTTPRoute's spec.parentRefs: none detaches it,
// gateway (listener "web") attaches it again.
func SetParents(ctx context.Context, dyn dynamic.Interface, ns, name string, gateways ...string) error {
	refs := []any{}
	for _, g := range gateways {
		refs = append(refs, map[string]any{"name": g, "sectionName": "web"})
	}
	u, err := dyn.Resource(HTTPRoutes).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if err := unstructured.SetNestedSlice(u.Object, refs, "spec", "parentRefs"); err != nil {
		return err
	}
	_, err = dyn.Resource(HTTPRoutes).Namespace(ns).Update(ctx, u, metav1.UpdateOptions{})
	return err
}

// Route creates an OpenShift Route for host with labels and annotations,
// to the Service backend, and writes the status the router would: admitted
// by router "default", with its canonical hostname.
func Route(ctx context.Context, dyn dynamic.Interface, ns, name string, labels, annotations map[string]string, host, backend, canonical string) error {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "route.openshift.io/v1", "kind": "Route",
		"metadata": map[string]any{"namespace": ns, "name": name},
		"spec":     map[string]any{"host": host, "to": map[string]any{"kind": "Service", "name": backend, "weight": int64(100)}},
	}}
	u.SetLabels(labels)
	u.SetAnnotations(annotations)
	created, err := dyn.Resource(OpenShiftRoutes).Namespace(ns).Create(ctx, u, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	created.Object["status"] = map[string]any{"ingress": []any{map[string]any{
		"host": host, "routerName": "default", "routerCanonicalHostname": canonical, "wildcardPolicy": "None",
		"conditions": []any{map[string]any{"type": "Admitted", "status": "True"}},
	}}}
	_, err = dyn.Resource(OpenShiftRoutes).Namespace(ns).UpdateStatus(ctx, created, metav1.UpdateOptions{})
	return err
}

// GatewayName is the Gateway that publishes hello in the clusters of
// InstallOptions.Gateway; the HTTPRoute and its backend Service are "hello".
const GatewayName = "hello"

// PublishWithGateway publishes hello in a member by the Gateway API, as in
// the clusters of InstallOptions.Gateway: the Gateway GatewayName (status
// address addr), the HTTPRoute "hello" labelled app: gslb attached to it,
// and its backend, the ClusterIP Service "hello" with ReadyEndpoints ready
// endpoints (EndpointSlice, written even when the objects exist). Objects
// that exist already are left as they are.
func PublishWithGateway(ctx context.Context, cs kubernetes.Interface, dyn dynamic.Interface, ns, addr string) error {
	if err := EndpointSlice(ctx, cs, ns, "hello", ReadyEndpoints, 0); err != nil {
		return err
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "hello"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "hello"},
			Ports: []corev1.ServicePort{{Name: "http", Port: 80}}},
	}
	steps := []func() error{
		func() error { _, err := cs.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); return err },
		func() error { return Gateway(ctx, dyn, ns, GatewayName, Hello, nil, addr) },
		func() error {
			return HTTPRoute(ctx, dyn, ns, "hello", map[string]string{"app": "gslb"}, Hello, GatewayName, "hello")
		},
	}
	for _, step := range steps {
		if err := step(); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	return nil
}

// RouterNamespace is where OpenShift runs its routers' Services.
const RouterNamespace = "openshift-ingress"

// RouterService creates router NAME's Service, router-NAME of type
// LoadBalancer in RouterNamespace, and writes its load balancer status
// with ips as a cloud controller would.
func RouterService(ctx context.Context, cs kubernetes.Interface, router string, ips ...string) error {
	if err := EnsureNamespace(ctx, cs, RouterNamespace, nil); err != nil {
		return err
	}
	s := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: RouterNamespace, Name: "router-" + router},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Selector: map[string]string{"ingresscontroller.operator.openshift.io/deployment-ingresscontroller": router},
			Ports: []corev1.ServicePort{{Name: "http", Port: 80}}},
	}
	created, err := cs.CoreV1().Services(RouterNamespace).Create(ctx, s, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	created.Status.LoadBalancer.Ingress = LB(ips...)
	_, err = cs.CoreV1().Services(RouterNamespace).UpdateStatus(ctx, created, metav1.UpdateOptions{})
	return err
}
