package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const amkoFixtures = "../../gslbctl/testdata/amko"

func TestConvertCLI(t *testing.T) {
	scenario, err := os.ReadFile(filepath.Join(amkoFixtures, "scenario.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		args     []string
		stdin    string
		code     int
		out, err []string // substrings of stdout and stderr
	}{
		{"stdin", []string{"amko"}, string(scenario), 0,
			[]string{"name: global-gdp", "weight: 6", "# gslb-syncer --source 'kubernetes:/etc/gslb/members/kubeconfig?members=s1az1,s1az2,s2'"},
			[]string{"spec.gslbLeader.credentials: not mapped"}},
		{"stdin dash strict", []string{"amko", "-", "--strict"}, string(scenario), 1, []string{"name: global-gdp"},
			[]string{"spec.gslbLeader.credentials: not mapped"}},
		{"directory", []string{"amko", amkoFixtures, "--config-context", "s1az1"}, "", 0,
			[]string{"name: full-gdp", "name: hello-rule", "name: rr-gdp", "&config=s1az1"}, []string{"spec.healthMonitorRefs: not mapped"}},
		{"strict passes", []string{"amko", "--strict", filepath.Join(amkoFixtures, "hostrule-mapped.yaml")}, "", 0,
			[]string{"fqdn: hello.avi.iberia.local"}, nil},
		{"not amko", []string{"avi"}, "", 2, nil, nil},
		{"missing file", []string{"amko", "nonexistent.yaml"}, "", 1, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code, err := convert(tc.args, strings.NewReader(tc.stdin), &out, &errOut)
			if code != tc.code {
				t.Fatalf("exit %d (%v), want %d\n%s", code, err, tc.code, errOut.String())
			}
			for _, s := range tc.out {
				if !strings.Contains(out.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, out.String())
				}
			}
			for _, s := range tc.err {
				if !strings.Contains(errOut.String(), s) {
					t.Errorf("stderr lacks %q:\n%s", s, errOut.String())
				}
			}
			if strings.Contains(out.String()+errOut.String(), "gslb-avi-secret") {
				t.Error("the credentials Secret is printed")
			}
		})
	}
}

func TestConvertCLIOutputDir(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	if code, err := convert([]string{"amko", "-o", dir, filepath.Join(amkoFixtures, "scenario-kubectl.yaml")}, nil, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %v", code, err)
	}
	for name, want := range map[string]string{"gslb.yaml": "weight: 20", "values.yaml": "clusterContext: s2", "source.txt": "members=s1az1,s1az2,s2"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !strings.Contains(string(b), want) {
			t.Errorf("%s: %v, lacks %q:\n%s", name, err, want, b)
		}
	}
}
