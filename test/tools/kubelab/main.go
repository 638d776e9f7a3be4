// Command kubelab runs the Kubernetes scenario on loopback, for `make lab`:
//
//	go run ./test/tools/kubelab up   [-dir DIR] [-bin BIN]   # make lab
//	go run ./test/tools/kubelab down [-dir DIR]              # make lab-down
//
// up starts one etcd and three kube-apiservers (s1az1, s1az2, s2; see
// test/k8senv), installs the CRDs and the syncer's ClusterRoles (bound to the
// lab's non-admin user), creates the scenario (hello Service and Ingress
// labelled app: gslb in each cluster, with the load balancer status a cloud
// controller would write: 127.0.0.11/.12/.13; the 6:4:2 policy), then starts
// BIN/coredns-gslb on 127.0.0.1:1053 and BIN/gslb-syncer with the non-admin
// kubeconfig. Everything keeps running after up returns. down stops exactly
// the processes up recorded (pid and executable checked), then the apiservers
// and etcd.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gslbdns/gslb/test/k8senv"
	"github.com/gslbdns/gslb/test/kubescenario"

	"k8s.io/client-go/rest"
)

const corefile = `avi.iberia.local:1053 {
    bind 127.0.0.1
    gslb {
        soa g-dns.iberia.local. hostmaster.iberia.local. refresh 10800 retry 3600 expire 86400 minimum 30
        ns g-dns.iberia.local. 127.0.0.1
        ttl 30
        listen unix://%s
    }
    errors
    log
}
`

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "kubelab: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 || (args[0] != "up" && args[0] != "down") {
		return errors.New("usage: kubelab up [-dir DIR] [-bin BIN] | kubelab down [-dir DIR]")
	}
	fs := flag.NewFlagSet("kubelab "+args[0], flag.ContinueOnError)
	dir := fs.String("dir", "/tmp/gslb-lab", "lab directory (kubeconfigs, logs, state)")
	bin := fs.String("bin", "bin", "directory holding coredns-gslb and gslb-syncer")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		return err
	}
	if args[0] == "down" {
		return down(abs)
	}
	b, err := filepath.Abs(*bin)
	if err != nil {
		return err
	}
	return up(abs, b)
}

func up(dir, bin string) error {
	for _, b := range []string{"coredns-gslb", "gslb-syncer"} {
		if _, err := os.Stat(filepath.Join(bin, b)); err != nil {
			return fmt.Errorf("%v: run `make build` first", err)
		}
	}
	env, err := k8senv.StartLab(dir, kubescenario.Members...)
	if err != nil {
		return err
	}
	fail := func(err error) error {
		_ = stopProcs(dir)
		return errors.Join(err, env.Close())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfgs := map[string]*rest.Config{}
	for _, c := range env.Clusters {
		cfgs[c.Name] = c.Config()
	}
	root, _ := os.Getwd()
	if err := kubescenario.Install(ctx, root, k8senv.NonAdmin.Name(), cfgs["s1az1"], cfgs); err != nil {
		return fail(fmt.Errorf("installing the scenario: %v", err))
	}
	sock := filepath.Join(dir, "gslb.sock")
	cf := filepath.Join(dir, "Corefile")
	if err := os.WriteFile(cf, fmt.Appendf(nil, corefile, sock), 0o644); err != nil {
		return fail(err)
	}
	if err := startProc(dir, "coredns", filepath.Join(bin, "coredns-gslb"), "-conf", cf); err != nil {
		return fail(err)
	}
	kcfg := k8senv.LabKubeconfig(dir, k8senv.NonAdmin)
	spec := "kubernetes:" + kcfg + "?members=s1az1,s1az2,s2&config=s1az1&grace=30s&zones=avi.iberia.local&metrics=127.0.0.1:9154"
	for i := 0; i < 50; i++ { // the socket appears once CoreDNS is up
		if _, err := os.Stat(sock); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := startProc(dir, "syncer", filepath.Join(bin, "gslb-syncer"), "--source", spec, "--push", "unix://"+sock); err != nil {
		return fail(err)
	}
	admin := k8senv.LabKubeconfig(dir, k8senv.Admin)
	fmt.Printf(`gslb lab running (files in %[1]s)
  kube-apiservers: s1az1, s1az2, s2 (one etcd); coredns-gslb on 127.0.0.1:1053; gslb-syncer (non-admin, metrics on 127.0.0.1:9154)
  logs: %[1]s/coredns.log  %[1]s/syncer.log  %[1]s/clusters/*/kube-apiserver.log

Try:
  export KUBECONFIG=%[2]s          # admin; the syncer uses %[3]s
  kubectl get gdp -A                                   # the 6:4:2 policy, its status
  for i in $(seq 12); do dig +short @127.0.0.1 -p 1053 hello.avi.iberia.local; done | sort | uniq -c
  kubectl patch gdp -n gslb gslb-policy --type merge -p '{"spec":{"trafficSplit":[{"cluster":"s1az1","weight":6},{"cluster":"s1az2","weight":3},{"cluster":"s2","weight":1}]}}'
  kubectl --context s2 patch svc hello --subresource=status --type merge -p '{"status":{"loadBalancer":{"ingress":[{"ip":"127.0.0.23"}]}}}'
  kubectl --context s2 delete ingress hello
Stop with: make lab-down
`, dir, admin, kcfg)
	return nil
}

// startProc starts a detached process logging to DIR/NAME.log and records
// its pid in DIR/NAME.pid.
func startProc(dir, name, path string, args ...string) error {
	log, err := os.OpenFile(filepath.Join(dir, name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	pid := cmd.Process.Pid
	_ = cmd.Process.Release()
	time.Sleep(500 * time.Millisecond)
	if !alive(pid, path) {
		b, _ := os.ReadFile(filepath.Join(dir, name+".log"))
		return fmt.Errorf("%s exited at start:\n%s", name, b)
	}
	return os.WriteFile(filepath.Join(dir, name+".pid"), []byte(strconv.Itoa(pid)+" "+path+"\n"), 0o644)
}

// alive reports whether pid runs the executable path.
func alive(pid int, path string) bool {
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		return false
	}
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err == nil {
		if f := strings.Fields(string(st[strings.LastIndexByte(string(st), ')')+1:])); len(f) > 0 && f[0] == "Z" {
			return false
		}
	}
	return strings.TrimSuffix(exe, " (deleted)") == path
}

// stopProcs stops the recorded syncer and coredns (SIGTERM, then SIGKILL).
func stopProcs(dir string) error {
	var errs []error
	for _, name := range []string{"syncer", "coredns"} {
		pf := filepath.Join(dir, name+".pid")
		b, err := os.ReadFile(pf)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		f := strings.Fields(string(b))
		if err != nil || len(f) != 2 {
			errs = append(errs, fmt.Errorf("%s: unreadable", pf))
			continue
		}
		pid, _ := strconv.Atoi(f[0])
		if pid > 0 && alive(pid, f[1]) {
			_ = syscall.Kill(pid, syscall.SIGTERM)
			for i := 0; i < 100 && alive(pid, f[1]); i++ {
				time.Sleep(100 * time.Millisecond)
			}
			if alive(pid, f[1]) {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		_ = os.Remove(pf)
	}
	return errors.Join(errs...)
}

func down(dir string) error {
	err := stopProcs(dir)
	if e := k8senv.Stop(dir); e != nil && !errors.Is(e, fs.ErrNotExist) {
		err = errors.Join(err, e)
	}
	fmt.Fprintf(os.Stderr, "kubelab: stopped the lab in %s\n", dir)
	return err
}
