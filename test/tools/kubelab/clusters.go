package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/gslbdns/gslb/test/k8senv"
)

// clusters starts only etcd and one kube-apiserver per name (see package
// test/k8senv), with no scenario and no gslb process, leaves them running
// and prints the path of the admin kubeconfig on stdout (one context per
// name); details go to stderr. `kubelab down` stops them. This was the
// separate tool k8slab.
func clusters(dir string, names []string) error {
	if live := running(dir); len(live) > 0 {
		return fmt.Errorf("a lab is running in %s (%s): stop it first (kubelab down)", dir, strings.Join(live, ", "))
	}
	env, err := k8senv.StartLab(dir, names...)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "kubelab: %d clusters running, files in %s\n", len(env.Clusters), env.Dir)
	for _, c := range env.Clusters {
		fmt.Fprintf(os.Stderr, "  %-12s %s  pid %d  log %s\n", c.Name, c.Host, c.Pid(), c.LogPath())
	}
	fmt.Fprintf(os.Stderr, "kubeconfig (user %s, system:masters): %s\n", k8senv.Admin, k8senv.LabKubeconfig(env.Dir, k8senv.Admin))
	fmt.Fprintf(os.Stderr, "kubeconfig (user %s, RBAC grants nothing): %s\n", k8senv.NonAdmin, k8senv.LabKubeconfig(env.Dir, k8senv.NonAdmin))
	fmt.Fprintf(os.Stderr, "stop with: go run ./test/tools/kubelab down -dir %s\n", env.Dir)
	fmt.Println(k8senv.LabKubeconfig(env.Dir, k8senv.Admin))
	return nil
}
