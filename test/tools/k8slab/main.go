// Command k8slab starts real Kubernetes API servers on loopback for a local
// lab, and stops them again:
//
//	go run ./test/tools/k8slab up DIR NAME...   # e.g. up /tmp/lab s1az1 s1az2 s2
//	go run ./test/tools/k8slab down DIR
//
// up starts one etcd and one kube-apiserver per NAME (see package
// test/k8senv), leaves them running, and prints the path of the admin
// kubeconfig on stdout (one context per NAME); details go to stderr. down
// stops exactly the processes up recorded in DIR. The binaries are built on
// first use, which takes minutes.
package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/gslbdns/gslb/test/k8senv"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "k8slab: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	switch {
	case len(args) >= 3 && args[0] == "up":
		return up(args[1], args[2:])
	case len(args) == 2 && args[0] == "down":
		return down(args[1])
	}
	return errors.New("usage: k8slab up DIR NAME... | k8slab down DIR")
}

func up(dir string, names []string) error {
	env, err := k8senv.StartLab(dir, names...)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "k8slab: %d clusters running, files in %s\n", len(env.Clusters), env.Dir)
	for _, c := range env.Clusters {
		fmt.Fprintf(os.Stderr, "  %-12s %s  pid %d  log %s\n", c.Name, c.Host, c.Pid(), c.LogPath())
	}
	fmt.Fprintf(os.Stderr, "kubeconfig (user %s, system:masters): %s\n", k8senv.Admin, k8senv.LabKubeconfig(env.Dir, k8senv.Admin))
	fmt.Fprintf(os.Stderr, "kubeconfig (user %s, RBAC grants nothing): %s\n", k8senv.NonAdmin, k8senv.LabKubeconfig(env.Dir, k8senv.NonAdmin))
	fmt.Fprintf(os.Stderr, "stop with: go run ./test/tools/k8slab down %s\n", env.Dir)
	fmt.Println(k8senv.LabKubeconfig(env.Dir, k8senv.Admin))
	return nil
}

func down(dir string) error {
	err := k8senv.Stop(dir)
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(os.Stderr, "k8slab: no lab running in %s\n", dir)
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "k8slab: stopped the lab in %s\n", dir)
	return nil
}
