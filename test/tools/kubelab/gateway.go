package main

// The lab's Gateway API cluster: hello in s2 is published by a Gateway and
// an HTTPRoute (see kubescenario.PublishWithGateway), and `kubelab route`
// detaches the route from its Gateway or attaches it again.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/gslbdns/gslb/test/k8senv"
	"github.com/gslbdns/gslb/test/kubescenario"

	"k8s.io/client-go/dynamic"
)

// gatewayCluster is the member whose hello is published by a Gateway and an
// HTTPRoute; the others' by a LoadBalancer Service and an Ingress.
const gatewayCluster = "s2"

// publishedBy says what publishes hello in cluster m.
func publishedBy(m string) string {
	if m == gatewayCluster {
		return fmt.Sprintf("Gateway %s + HTTPRoute hello (backend: Service hello)", kubescenario.GatewayName)
	}
	return "LoadBalancer Service hello + Ingress hello"
}

// backendNote says, for the endpoints command, whose backend hello's
// Service is in cluster m.
func backendNote(m string) string {
	if m == gatewayCluster {
		return ", of the HTTPRoute's backend"
	}
	return ""
}

// printGatewayHelp prints the banner's lines on the Gateway cluster.
func printGatewayHelp(dir string) {
	fmt.Printf(`hello in %[3]s is published by the Gateway API: the Gateway %[4]s (status address %[5]s) and the HTTPRoute hello
labelled app: gslb, attached to it; the route's backend, the Service hello, gives the member's endpoint readiness:
  kubectl --context %[3]s get gateway,httproute -n %[6]s
  kubectl --context %[3]s get httproute -n %[6]s hello -o yaml
  %[2]s route %[3]s detach -dir %[1]s     # the HTTPRoute's parentRefs emptied: %[5]s leaves the answers
  %[2]s route %[3]s attach -dir %[1]s     # attached to the Gateway %[4]s again: it returns
`, dir, kl, gatewayCluster, kubescenario.GatewayName, kubescenario.LBAddress[gatewayCluster], kubescenario.AppNS)
}

// routeArgs checks the arguments of `route`: the Gateway cluster, then
// detach or attach.
func routeArgs(pos []string) error {
	if len(pos) != 2 || pos[0] != gatewayCluster || !slices.Contains([]string{"detach", "attach"}, pos[1]) {
		return errors.New(usage)
	}
	return nil
}

// route detaches hello's HTTPRoute in cluster m from its Gateway (no
// parentRefs), or attaches it again, as the admin.
func route(dir, m, action string) error {
	if !isLab(dir) {
		return fmt.Errorf("no lab in %s (make lab)", dir)
	}
	cfg, err := k8senv.LabConfig(dir, k8senv.Admin, m)
	if err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var gateways []string
	what := kubescenario.LBAddress[m] + " leaves the answers"
	if action == "attach" {
		gateways = []string{kubescenario.GatewayName}
		what = kubescenario.LBAddress[m] + " is served again (while its site passes the probes)"
	}
	if err := kubescenario.SetParents(ctx, dyn, kubescenario.AppNS, "hello", gateways...); err != nil {
		return err
	}
	fmt.Printf("kubelab: HTTPRoute %s/hello in %s %sed (parentRefs %v): %s\n", kubescenario.AppNS, m, action, gateways, what)
	return nil
}
