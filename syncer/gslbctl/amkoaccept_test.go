package gslbctl_test

import (
	"path/filepath"
	"testing"

	"github.com/gslbdns/gslb/syncer/gslbctl"
	"github.com/gslbdns/gslb/syncer/kube/table"
)

// amkoClusters are the scenario's three members, each with the Ingress
// hello labelled app: gslb in a namespace labelled like the fixtures'
// namespace selectors.
func amkoClusters() []table.ClusterView {
	var out []table.ClusterView
	for i, name := range []string{"s1az1", "s1az2", "s2"} {
		out = append(out, table.ClusterView{
			Name: name, State: table.ClusterUp,
			NamespaceLabels: map[string]map[string]string{"default": {"ns": "prod", "gslb": "enabled"}},
			Objects: []table.Object{{
				Kind: "Ingress", Namespace: "default", Name: "hello", Labels: map[string]string{"app": "gslb"},
				FQDNs: []string{"hello.avi.iberia.local."}, Addresses: []string{"192.0.2." + string(rune('1'+i))},
			}},
		})
	}
	return out
}

// TestConvertAMKOAccepted feeds every fixture's converted objects to the
// syncer's own build (table.Build): every policy and host rule is accepted,
// defaults included (a default that refused a policy would take its FQDNs
// out of the DNS).
func TestConvertAMKOAccepted(t *testing.T) {
	fixtures, err := filepath.Glob(filepath.Join("testdata", "amko", "*.*"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range fixtures {
		if filepath.Ext(f) == ".golden" {
			continue
		}
		n++
		t.Run(filepath.Base(f), func(t *testing.T) {
			c := convert(t, f)
			res := table.Build(table.Input{Clusters: amkoClusters(), Policies: c.Policies, HostRules: c.HostRules, Zones: []string{"avi.iberia.local."}})
			for _, p := range c.Policies {
				r := res.Policies[table.Key(p)]
				if r == nil || !r.Accepted {
					t.Errorf("policy %s not accepted: %+v", table.Key(p), r)
				}
			}
			for _, h := range c.HostRules {
				r := res.HostRules[table.Key(h)]
				if r == nil || !r.Accepted {
					t.Errorf("host rule %s not accepted: %+v", table.Key(h), r)
				}
			}
		})
	}
	if n < 10 {
		t.Fatalf("only %d fixtures", n)
	}
}

// TestConvertAMKOSplit: the scenario's policy serves hello with 6:4:2, the
// kubectl export (the canary) with 20:20:1.
func TestConvertAMKOSplit(t *testing.T) {
	for file, want := range map[string]map[string]uint32{
		"scenario.yaml":         {"s1az1": 6, "s1az2": 4, "s2": 2},
		"scenario-kubectl.yaml": {"s1az1": 20, "s1az2": 20, "s2": 1},
	} {
		c := convert(t, filepath.Join("testdata", "amko", file))
		res := table.Build(table.Input{Clusters: amkoClusters(), Policies: c.Policies, Zones: []string{"avi.iberia.local."}})
		if len(res.Records) != 1 {
			t.Fatalf("%s: %d records, want 1", file, len(res.Records))
		}
		got := map[string]uint32{}
		for _, m := range res.Records[0].GetMembers() {
			got[m.GetCluster()] = m.GetWeight()
		}
		if len(got) != len(want) {
			t.Errorf("%s: weights %v, want %v", file, got, want)
		}
		for k, w := range want {
			if got[k] != w {
				t.Errorf("%s: weights %v, want %v", file, got, want)
			}
		}
	}
}

func convert(t *testing.T, path string) *gslbctl.AMKOConversion {
	t.Helper()
	objs, err := gslbctl.ReadAMKOPaths([]string{path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return gslbctl.ConvertAMKO(objs)
}
