// Package k8senv runs real Kubernetes API servers on loopback, for tests and
// for a local lab: one etcd and one kube-apiserver per named cluster, each
// apiserver storing under its own etcd prefix (/<name>), so the clusters are
// independent and a restarted apiserver finds its data again.
//
// Nothing is faked. The binaries are a real kube-apiserver and etcd built
// from the Go module proxy by test/tools/k8s-bins.sh and cached by version
// (see BinDir). Each apiserver serves TLS on 127.0.0.1 with a certificate
// from a test CA made at start-up, authenticates bearer tokens from a token
// file (Admin in system:masters; NonAdmin, whom RBAC grants nothing until a
// test binds a role to NonAdmin.Name()) and authorizes with RBAC.
//
//	env := k8senv.Start(t, "s1az1", "s1az2", "s2")
//	cs := env.Cluster("s1az1").Client()                    // admin clientset
//	cfg := env.Cluster("s2").UserConfig(k8senv.NonAdmin)   // least privilege
//	err := env.WriteKubeconfig(path, k8senv.NonAdmin)      // contexts s1az1, s1az2, s2
//	err = env.Cluster("s1az2").Stop()                      // a member cluster fails ...
//	err = env.Cluster("s1az2").Restart()                   // ... and comes back, data intact
//
// A bare apiserver runs no controllers: no EndpointSlices, no load balancer
// status, no garbage collection, no ServiceAccount tokens, and deleted
// namespaces stay Terminating. Tests play those controllers themselves (for
// instance, write status.loadBalancer.ingress with UpdateStatus, using
// loopback addresses) and use unique names instead of deleting.
//
// Start is for tests: everything is stopped and removed by t.Cleanup, and the
// log tails are printed when the test fails. StartLab and Stop are for a lab
// that outlives the process starting it (see `kubelab clusters` in
// test/tools/kubelab).
package k8senv
