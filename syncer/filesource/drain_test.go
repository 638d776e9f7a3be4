package filesource

import (
	"strconv"
	"strings"
	"testing"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
)

const drainFile = `records:
  - fqdn: hello.avi.iberia.local
    members:
      - {cluster: s1az1, site: site1, address: 127.0.0.11, weight: 6, health: up}
      - {cluster: s1az2, site: site1, address: 127.0.0.12, weight: 4}
      - {cluster: s2, site: site2, address: 127.0.0.13, weight: 2}
`

func TestDrained(t *testing.T) {
	for _, tc := range []struct {
		name, drained, want, err string
	}{
		{"none", "", "6:UP: 4:UNKNOWN: 2:UNKNOWN:", ""},
		{"a cluster, over its health", "drained: {clusters: [s1az1]}\n",
			"6:DOWN:drained in the members file (drained.clusters: s1az1) 4:UNKNOWN: 2:UNKNOWN:", ""},
		{"a site", "drained:\n  sites: [site1]\n",
			"6:DOWN:drained in the members file (drained.sites: site1) 4:DOWN:drained in the members file (drained.sites: site1) 2:UNKNOWN:", ""},
		{"unknown names drain nothing", "drained: {clusters: [s9], sites: []}\n", "6:UP: 4:UNKNOWN: 2:UNKNOWN:", ""},
		{"not a mapping", "drained: [s1az1]\n", "", "m.yaml:7: drained must be a mapping with clusters and sites, got a list"},
		{"unknown key", "drained: {cluster: [s1az1]}\n", "", `m.yaml:7: drained: unknown key "cluster" (want clusters, sites)`},
		{"not a list", "drained: {clusters: s1az1}\n", "", "m.yaml:7: drained: clusters must be a list, got"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs, err := Parse("m.yaml", []byte(drainFile+tc.drained))
			if tc.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range recs[0].Members {
				got = append(got, strconv.Itoa(int(m.Weight))+":"+strings.TrimPrefix(gslbv1.Health_name[int32(m.Health)], "HEALTH_")+":"+m.HealthReason)
			}
			if strings.Join(got, " ") != tc.want {
				t.Errorf("members %q\nwant    %q", strings.Join(got, " "), tc.want)
			}
		})
	}
}
