package gslbctl

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	v1 "github.com/gslbdns/gslb/syncer/apis/gslb/v1alpha1"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/amko")

// amkoUnmapped lists, per fixture, the AMKO fields that do not map: exactly
// these make --strict fail. A fixture not listed maps completely.
var amkoUnmapped = map[string][]string{
	"scenario.yaml":              {"spec.gslbLeader.credentials"},
	"gdp-full.yaml":              {"spec.matchClusters[1].syncVipOnly", "spec.poolAlgorithmSettings.geoFallback", "spec.poolAlgorithmSettings.lbAlgorithm", "spec.sitePersistenceRef", "spec.healthMonitorRefs"},
	"gdp-topology.yaml":          {"spec.poolAlgorithmSettings.lbAlgorithm", "spec.healthMonitorTemplate"},
	"gdp-geo.yaml":               {"spec.poolAlgorithmSettings.lbAlgorithm"},
	"hostrule-full.yaml":         {"spec.poolAlgorithmSettings.hashMask", "spec.sitePersistence", "spec.healthMonitorRefs"},
	"gslbconfig-customfqdn.yaml": {"spec.useCustomGlobalFqdn"},
}

func amkoFixtures(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, pat := range []string{"*.yaml", "*.json"} {
		m, err := filepath.Glob(filepath.Join("testdata", "amko", pat))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m...)
	}
	if len(out) < 10 {
		t.Fatalf("only %d fixtures", len(out))
	}
	slices.Sort(out)
	return out
}

func convertFixture(t *testing.T, path string) (*AMKOConversion, AMKOOutput) {
	t.Helper()
	objs, err := ReadAMKOPaths([]string{path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) == 0 {
		t.Fatal("no object read")
	}
	c := ConvertAMKO(objs)
	w, err := WriteAMKO(c, AMKOWriteOptions{Kubeconfig: "/etc/gslb/members/kubeconfig", ConfigContext: "s1az1"})
	if err != nil {
		t.Fatal(err)
	}
	return c, w
}

// TestConvertAMKOGolden converts every fixture and compares objects, source,
// values and report with testdata/amko/NAME.golden (go test -update
// rewrites them).
func TestConvertAMKOGolden(t *testing.T) {
	for _, path := range amkoFixtures(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			_, w := convertFixture(t, path)
			got := "# objects\n" + w.Objects + "# source\n" + w.Source + "\n# values\n" + w.Values + "# report\n" + w.Report
			golden := strings.TrimSuffix(path, filepath.Ext(path)) + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s:\n%s", golden, got)
			}
		})
	}
}

// TestConvertAMKOUnmapped: the fields not mapped are exactly the expected
// ones, each named in the report and commented in the objects.
func TestConvertAMKOUnmapped(t *testing.T) {
	for _, path := range amkoFixtures(t) {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			c, w := convertFixture(t, path)
			var got []string
			for _, n := range c.Notes {
				got = append(got, n.Field)
				if !strings.Contains(w.Report, n.Field+": not mapped") {
					t.Errorf("report does not name %s:\n%s", n.Field, w.Report)
				}
				if strings.HasPrefix(n.Object, "GSLBConfig ") {
					if !strings.Contains(w.Values, n.Field+": ") {
						t.Errorf("values do not comment %s", n.Field)
					}
				} else if !strings.Contains(w.Objects, "  "+n.Field+": ") {
					t.Errorf("objects do not comment %s", n.Field)
				}
			}
			want := amkoUnmapped[name]
			slices.Sort(got)
			want = slices.Sorted(slices.Values(want))
			if !slices.Equal(got, want) {
				t.Errorf("not mapped: got %q, want %q", got, want)
			}
		})
	}
}

// TestConvertAMKONoCredentials: the Secret's name is not printed anywhere.
func TestConvertAMKONoCredentials(t *testing.T) {
	_, w := convertFixture(t, filepath.Join("testdata", "amko", "scenario.yaml"))
	for _, s := range []string{w.Objects, w.Source, w.Values, w.Report} {
		if strings.Contains(s, "gslb-avi-secret") || strings.Contains(s, "192.0.2.40") {
			t.Errorf("the leader's credentials or address printed:\n%s", s)
		}
	}
}

func TestConvertAMKOScenario(t *testing.T) {
	c, w := convertFixture(t, filepath.Join("testdata", "amko", "scenario.yaml"))
	if len(c.Policies) != 1 || len(c.HostRules) != 0 {
		t.Fatalf("got %d policies, %d host rules", len(c.Policies), len(c.HostRules))
	}
	p := c.Policies[0]
	if p.Name != "global-gdp" || p.Namespace != "avi-system" {
		t.Errorf("policy %s/%s", p.Namespace, p.Name)
	}
	want := []v1.TrafficSplit{{Cluster: "s1az1", Weight: 6}, {Cluster: "s1az2", Weight: 4}, {Cluster: "s2", Weight: 2}}
	if !slices.Equal(p.Spec.TrafficSplit, want) {
		t.Errorf("trafficSplit %v, want %v", p.Spec.TrafficSplit, want)
	}
	if got := p.Spec.MatchRules.AppSelector.MatchLabels["app"]; got != "gslb" {
		t.Errorf("appSelector app=%q", got)
	}
	if !slices.Equal(p.Spec.MatchClusters, []string{"s1az1", "s1az2", "s2"}) {
		t.Errorf("matchClusters %v", p.Spec.MatchClusters)
	}
	if w.Source != "kubernetes:/etc/gslb/members/kubeconfig?members=s1az1,s1az2,s2&config=s1az1" {
		t.Errorf("source %q", w.Source)
	}
	if c.LogLevel != "info" {
		t.Errorf("logLevel %q", c.LogLevel)
	}
}

func TestConvertAMKOMappings(t *testing.T) {
	p := int32(7)
	for _, tc := range []struct {
		in   *AMKODownResponse
		want v1.DownResponseType
	}{
		{&AMKODownResponse{Type: "GSLB_SERVICE_DOWN_RESPONSE_NONE"}, v1.DownServFail},
		{&AMKODownResponse{Type: "GSLB_SERVICE_DOWN_RESPONSE_ALL_RECORDS"}, v1.DownAll},
		{&AMKODownResponse{Type: "FALLBACK_IP", FallbackIP: "192.0.2.1"}, v1.DownFallback},
		{&AMKODownResponse{Type: "EMPTY"}, v1.DownEmpty},
	} {
		if got := downResponse(tc.in); got.Type != tc.want {
			t.Errorf("%s: got %s, want %s", tc.in.Type, got.Type, tc.want)
		}
	}
	for _, tc := range []struct {
		in   []AMKOTrafficSplit
		want []v1.TrafficSplit
	}{
		{nil, nil},
		{[]AMKOTrafficSplit{{Cluster: "b", Weight: 2}, {Cluster: "a", Weight: 1}}, []v1.TrafficSplit{{Cluster: "a", Weight: 1}, {Cluster: "b", Weight: 2}}},
		{[]AMKOTrafficSplit{{Cluster: "a", Weight: 1, Priority: &p}, {Cluster: "b", Weight: 2}}, []v1.TrafficSplit{{Cluster: "a", Weight: 1, Priority: 7}, {Cluster: "b", Weight: 2, Priority: 10}}},
	} {
		if got := trafficSplit(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("trafficSplit(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestReadAMKOErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", `apiVersion "v1" is not AMKO's`},
		{"apiVersion: amko.vmware.com/v1alpha1\nkind: GlobalDeploymentPolicy\nmetadata: {name: x}\n", "use v1alpha2"},
		{"apiVersion: amko.vmware.com/v1alpha2\nkind: GlobalDeploymentPolicy\nmetadata: {name: x}\nspec: {matchRule: {}}\n", `unknown field "matchRule"`},
		{"apiVersion: amko.vmware.com/v1alpha1\nkind: AMKOCluster\nmetadata: {name: x}\n", `kind "AMKOCluster" is not converted`},
		{"a: [\n", "in.yaml: document 1"},
	} {
		_, err := ReadAMKO("in.yaml", strings.NewReader(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.in, err, tc.want)
		}
	}
}
