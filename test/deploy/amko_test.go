package deploy_test

import (
	"bytes"
	"errors"

	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gslbdns/gslb/test/e2e/harness"
	"github.com/gslbdns/gslb/test/internal/gotool"
	"github.com/gslbdns/gslb/test/k8senv"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// amkoStrictFails are the fixtures of syncer/gslbctl/testdata/amko with a
// field that does not map: exactly these fail `gslbctl convert amko --strict`.
var amkoStrictFails = []string{
	"gdp-full.yaml", "gdp-geo.yaml", "gdp-topology.yaml", "gslbconfig-customfqdn.yaml", "hostrule-full.yaml", "scenario.yaml",
}

// TestConvertAMKO runs the real bin/gslbctl on every AMKO fixture: the
// objects it writes and the chart rendered with the values it writes pass
// server-side dry-run with strict field validation on a real kube-apiserver
// (the chart's policy is the converted one), and --strict fails exactly on
// the fixtures with fields not mapped, naming each.
func TestConvertAMKO(t *testing.T) {
	root := harness.RepoRoot(t)
	gslbctl := harness.Bin(t, "gslbctl")
	helm := gotool.Bin(t, "helm", helmModule, helmVersion)
	fixtures, err := filepath.Glob(filepath.Join(root, "syncer", "gslbctl", "testdata", "amko", "*.*"))
	if err != nil {
		t.Fatal(err)
	}
	fixtures = slices.DeleteFunc(fixtures, func(p string) bool { return strings.HasSuffix(p, ".golden") })
	if len(fixtures) < 10 {
		t.Fatalf("only %d fixtures", len(fixtures))
	}

	env := k8senv.Start(t, "cfg")
	k := newKube(t, env.Cluster("cfg").Config())
	for _, o := range readDir(t, filepath.Join(root, "deploy", "crds")) {
		k.create(t, o)
	}
	k.waitEstablished(t, "globaldeploymentpolicies.gslb.gslbdns.io", "gslbhostrules.gslb.gslbdns.io")
	k.create(t, namespace("avi-system"))

	var failed []string
	for _, f := range fixtures {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			_, report := convertCLI(t, gslbctl, 0, f, "-o", dir, "--config-context", "s1az1")
			objs := readFile(t, filepath.Join(dir, "gslb.yaml"))
			if len(objs) > 0 {
				k.dryRunAll(t, objs)
			}
			rendered := decodeAll(t, run(t, helm, "template", "gslb", filepath.Join(root, "deploy", "helm", "gslb"),
				"--namespace", "avi-system", "-f", filepath.Join(dir, "values.yaml")))
			k.dryRunAll(t, rendered)
			checkChartPolicy(t, objs, rendered)

			code := 0
			if strings.Contains(report, ": not mapped: ") {
				code = 1
				failed = append(failed, name)
			}
			_, strict := convertCLI(t, gslbctl, code, f, "--strict")
			for _, line := range strings.Split(report, "\n") {
				if field, _, ok := strings.Cut(line, ": not mapped: "); ok && !strings.Contains(strict, field+": not mapped") {
					t.Errorf("--strict does not name %s:\n%s", field, strict)
				}
			}
		})
	}
	slices.Sort(failed)
	if !slices.Equal(failed, amkoStrictFails) {
		t.Errorf("--strict failed on %q, want %q", failed, amkoStrictFails)
	}
}

// convertCLI runs gslbctl convert amko ARGS and wants exit status code.
func convertCLI(t *testing.T, bin string, code int, args ...string) (stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	cmd := exec.Command(bin, append([]string{"convert", "amko"}, args...)...)
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	got := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		got = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if got != code {
		t.Fatalf("gslbctl convert amko %s: exit %d, want %d\n%s%s", strings.Join(args, " "), got, code, o.String(), e.String())
	}
	return o.String(), e.String()
}

// checkChartPolicy: with one converted policy, the chart renders it with the
// same spec; otherwise the chart renders none.
func checkChartPolicy(t *testing.T, converted, rendered []*unstructured.Unstructured) {
	t.Helper()
	want := filterKind(converted, "GlobalDeploymentPolicy")
	got := filterKind(rendered, "GlobalDeploymentPolicy")
	if len(want) != 1 {
		if len(got) != 0 {
			t.Errorf("the chart renders %d policies, want none", len(got))
		}
		return
	}
	if len(got) != 1 {
		t.Fatalf("the chart renders %d policies, want 1", len(got))
	}
	if got[0].GetName() != want[0].GetName() || !reflect.DeepEqual(got[0].Object["spec"], want[0].Object["spec"]) {
		t.Errorf("the chart's policy %s: spec %v, want %s: %v", got[0].GetName(), got[0].Object["spec"], want[0].GetName(), want[0].Object["spec"])
	}
}
