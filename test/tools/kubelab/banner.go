package main

import (
	"fmt"

	"github.com/gslbdns/gslb/test/k8senv"
	"github.com/gslbdns/gslb/test/kubescenario"
)

// kl is how the banner says to run kubelab (from the repository's root).
const kl = "go run ./test/tools/kubelab"

// printBanner prints, once up is done, what runs where and the commands
// the lab offers; kcfg is the syncer's (non-admin) kubeconfig.
func printBanner(dir, kcfg string) {
	admin := k8senv.LabKubeconfig(dir, k8senv.Admin)
	fmt.Printf(`gslb lab running (files in %[1]s)
  kube-apiservers: s1az1, s1az2, s2 (one etcd); coredns-gslb on 127.0.0.1:1053; gslb-syncer (non-admin, metrics on 127.0.0.1:9154)
  logs: %[1]s/coredns.log  %[1]s/syncer.log  %[1]s/site-*.log  %[1]s/clusters/*/kube-apiserver.log

Demo sites, hello's members (each cluster's hello has 3 ready endpoints), and what publishes hello there. The policy probes
them: GET / on port %[2]d every 1s, timeout 500ms; a member leaves the answers after 3 failed probes, returns after 2 good ones.
`, dir, kubescenario.SitePort)
	for _, m := range kubescenario.Members {
		d, _ := readPid(dir, siteProc(m))
		fmt.Printf("  %-6s http://%s:%d/  pid %-7d %-36q %s\n", m, kubescenario.LBAddress[m], kubescenario.SitePort, d.Pid, kubescenario.SiteMessage[m], publishedBy(m))
	}
	fmt.Printf(`
Try:
  export KUBECONFIG=%[2]s          # admin; the syncer uses %[3]s
  kubectl get gdp -A                                   # the 6:4:2 policy, its status
  for i in $(seq 12); do dig +short @127.0.0.1 -p 1053 hello.avi.iberia.local; done | sort | uniq -c
  while sleep 1; do echo $(for i in $(seq 12); do dig +short @127.0.0.1 -p 1053 hello.avi.iberia.local; done | sort | uniq -c); done
                                                       # watch the split in another terminal
Take a member out and back (from the repository's root):
  %[4]s site stop s2 -dir %[1]s        # s2's site stops: 127.0.0.13 leaves the answers within about 3 s
  %[4]s site start s2 -dir %[1]s       # started again: 127.0.0.13 is back after 2 good probes
  %[4]s endpoints s2 0 -dir %[1]s      # hello in s2 has no ready endpoint: 127.0.0.13 leaves
  %[4]s endpoints s2 3 -dir %[1]s      # 3 ready endpoints again: it returns
  kubectl get gdp -n gslb gslb-policy -o jsonpath='{.status.unhealthyMembers}'; echo
  kubectl --context s2 get endpointslices -l kubernetes.io/service-name=hello -o yaml
  grep -i health %[1]s/syncer.log
`, dir, admin, kcfg, kl)
	printGatewayHelp(dir)
	fmt.Printf(`More:
  kubectl patch gdp -n gslb gslb-policy --type merge -p '{"spec":{"trafficSplit":[{"cluster":"s1az1","weight":6},{"cluster":"s1az2","weight":3},{"cluster":"s2","weight":1}]}}'
  kubectl --context s1az2 patch svc hello --subresource=status --type merge -p '{"status":{"loadBalancer":{"ingress":[{"ip":"127.0.0.22"}]}}}'
  kubectl --context s1az2 delete ingress hello
  curl -s 127.0.0.1:9154/metrics | grep gslb
Drain a cluster for maintenance, without editing the policy (the admin may; the syncer's user may not):
  bin/gslbctl drain --cluster s1az1 --reason "kernel upgrade"   # 127.0.0.11 leaves at once
  bin/gslbctl drain --list; kubectl get gslbdrains
  bin/gslbctl undrain --cluster s1az1                           # and is back
Stop everything with: make lab-down
`)
}
