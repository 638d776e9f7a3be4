package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/gslbdns/gslb/test/internal/testhost"
	"sigs.k8s.io/yaml"
)

// The Corefiles users run, measured as shipped: the Helm chart's (rendered
// with the default values; test/deploy checks that corefiles/helm.Corefile
// is that rendering), the kustomize base's ConfigMap and the demo's. They
// are moved to loopback and temporary paths, nothing else: the DNS port
// becomes the bench port with `bind 127.0.0.1`, the health, ready and
// metrics ports free loopback ports, the gRPC socket and persist file paths
// the server's directory.

// shippedCorefile is one shipped Corefile and where it comes from.
type shippedCorefile struct {
	name string
	read func(repo string) (string, error)
}

func shippedCorefiles() []shippedCorefile {
	file := func(rel string) func(string) (string, error) {
		return func(repo string) (string, error) {
			b, err := os.ReadFile(filepath.Join(repo, rel))
			return string(b), err
		}
	}
	return []shippedCorefile{
		{"helm", file("test/tools/dnsbench/corefiles/helm.Corefile")},
		{"kustomize", kustomizeCorefile},
		{"demo", file("corefile-examples/demo/Corefile")},
	}
}

func kustomizeCorefile(repo string) (string, error) {
	p := filepath.Join(repo, "deploy/kustomize/base/configmap-corefile.yaml")
	b, err := os.ReadFile(p)
	if err != nil {
		return "", err
	}
	var cm struct {
		Data map[string]string `json:"data"`
	}
	if err := yaml.Unmarshal(b, &cm); err != nil {
		return "", fmt.Errorf("%s: %v", p, err)
	}
	if cm.Data["Corefile"] == "" {
		return "", fmt.Errorf("%s: no data.Corefile", p)
	}
	return cm.Data["Corefile"], nil
}

var (
	reBlock    = regexp.MustCompile(`(?m)^(\S+):(\d+) \{$`)
	reHTTP     = regexp.MustCompile(`(?m)^(\s*)(health|ready|gslbmetrics|prometheus|pprof)( +\S*:\d+)?( *\{?)$`)
	reListen   = regexp.MustCompile(`(?m)^(\s*)listen unix://\S+$`)
	rePersist  = regexp.MustCompile(`(?m)^(\s*)persist \S+$`)
	reHasBind  = regexp.MustCompile(`(?m)^\s*bind `)
	reEnvInDir = regexp.MustCompile(`\{\$[A-Z_]+\}`)
)

// toLoopback moves a shipped Corefile to 127.0.0.1:port and paths in dir;
// freePort supplies the HTTP ports. It fails when the Corefile has not
// exactly one server block, so a changed Corefile is not measured wrongly.
func toLoopback(corefile, dir string, port int, freePort func() (int, error)) (string, error) {
	if n := len(reBlock.FindAllString(corefile, -1)); n != 1 {
		return "", fmt.Errorf("want one server block ZONE:PORT {, found %d", n)
	}
	bind := "\n    bind 127.0.0.1"
	if reHasBind.MatchString(corefile) {
		bind = ""
	}
	out := reBlock.ReplaceAllString(corefile, fmt.Sprintf("${1}:%d {%s", port, bind))
	var err error
	out = reHTTP.ReplaceAllStringFunc(out, func(line string) string {
		m := reHTTP.FindStringSubmatch(line)
		p, e := freePort()
		if e != nil {
			err = e
		}
		return fmt.Sprintf("%s%s 127.0.0.1:%d%s", m[1], m[2], p, m[4])
	})
	out = reListen.ReplaceAllString(out, "${1}listen unix://"+filepath.Join(dir, "gslb.sock"))
	out = rePersist.ReplaceAllString(out, "${1}persist "+filepath.Join(dir, "table.pb"))
	if reEnvInDir.MatchString(out) {
		return "", fmt.Errorf("environment placeholders left after the move to loopback:\n%s", out)
	}
	return out, err
}

// shipped is a server running a shipped Corefile, with gslb's table pushed;
// edit, when set, changes the Corefile first (e.g. the stock prometheus
// plugin in place of gslbmetrics, as shipped before).
func shipped(bin, repo string, sc shippedCorefile, suffix string, edit func(string) string, load func(dir string) error) server {
	return server{
		name: "coredns-gslb " + sc.name + suffix,
		prepare: func(dir string, port int) ([]string, error) {
			corefile, err := sc.read(repo)
			if err != nil {
				return nil, err
			}
			if edit != nil {
				corefile = edit(corefile)
			}
			if profileDir != "" {
				corefile = strings.Replace(corefile, "\n}", "\n    pprof :6060\n}", 1)
			}
			corefile, err = toLoopback(corefile, dir, port, testhost.FreePort)
			if err != nil {
				return nil, fmt.Errorf("%s Corefile: %v", sc.name, err)
			}
			if m := regexp.MustCompile(`pprof (127\.0\.0\.1:\d+)`).FindStringSubmatch(corefile); m != nil {
				os.WriteFile(filepath.Join(dir, "pprof.addr"), []byte(m[1]), 0o600)
			}
			p := filepath.Join(dir, "Corefile")
			return []string{bin, "-conf", p, "-quiet"}, os.WriteFile(p, []byte(corefile), 0o600)
		},
		load: load,
	}
}

// withStockPrometheus is the Corefile as shipped before gslbmetrics.
func withStockPrometheus(corefile string) string {
	return strings.Replace(corefile, "gslbmetrics ", "prometheus ", 1)
}
