package filesource

import (
	"testing"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"google.golang.org/protobuf/proto"
)

// routingExample is the file of the documentation (syncer/README.md).
const routingExample = `sites:
  SITE1:
    location: {latitude: 40.42, longitude: -3.70}
    clients: [192.0.2.0/24, "2001:db8:1::/48"]
  SITE2:
    location: {latitude: 50.11, longitude: 8.68}
    clients: [198.51.100.0/24]
defaults:
  algorithm: topology
  siteOrder: [SITE1, SITE2]
records:
  - fqdn: hello.avi.iberia.local
    members:
      - {cluster: s1az1, site: SITE1, address: 127.0.0.11, weight: 6}
      - {cluster: s1az2, site: SITE1, address: 127.0.0.12, weight: 4}
      - {cluster: s2, site: SITE2, address: 127.0.0.13, weight: 2}
  - fqdn: near.avi.iberia.local
    algorithm: geo
    siteOrder: [SITE2]
    members:
      - {site: SITE1, address: 127.0.0.11}
      - {site: SITE2, address: 127.0.0.13}
  - fqdn: sticky.avi.iberia.local
    algorithm: consistentHash
    hashMask: {v4: 16}
    members:
      - {address: 127.0.0.11}
      - {address: 127.0.0.12}
  - fqdn: plain.avi.iberia.local
    algorithm: wrr
    members:
      - {address: 127.0.0.11}
`

func TestParseRouting(t *testing.T) {
	got, err := Parse("members.yaml", []byte(routingExample))
	if err != nil {
		t.Fatal(err)
	}
	topology := []*gslbv1.ClientNetwork{
		{Cidr: "192.0.2.0/24", Site: "SITE1"}, {Cidr: "2001:db8:1::/48", Site: "SITE1"}, {Cidr: "198.51.100.0/24", Site: "SITE2"},
	}
	locations := []*gslbv1.SiteLocation{{Site: "SITE1", Latitude: 40.42, Longitude: -3.70}, {Site: "SITE2", Latitude: 50.11, Longitude: 8.68}}
	want := map[string]*gslbv1.Routing{
		"hello.avi.iberia.local.":  {Topology: topology, SiteOrder: []string{"SITE1", "SITE2"}},
		"near.avi.iberia.local.":   {Locations: locations, SiteOrder: []string{"SITE2"}},
		"sticky.avi.iberia.local.": {HashMaskV4: 16},
		"plain.avi.iberia.local.":  nil,
	}
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d", len(got), len(want))
	}
	for _, r := range got {
		if !proto.Equal(r.GetRouting(), want[r.Fqdn]) {
			t.Errorf("%s: routing\n got %v\nwant %v", r.Fqdn, r.GetRouting(), want[r.Fqdn])
		}
	}
}

func TestParseRoutingErrors(t *testing.T) {
	const sites = "sites:\n  SITE1:\n    clients: [192.0.2.0/24]\n    location: {latitude: 1, longitude: 2}\n"
	rec := func(fields string, members ...string) string {
		s := sites + "records:\n  - fqdn: a.example.\n" + fields + "    members:\n"
		for _, m := range members {
			s += "      - " + m + "\n"
		}
		return s
	}
	for _, tt := range []struct{ name, in, want string }{
		{"sites not a mapping", "sites: [SITE1]\nrecords: []\n", "members.yaml:1: sites must be a mapping of site names, got a list"},
		{"duplicate site", "sites:\n  A:\n  A:\nrecords: []\n", `members.yaml:3: sites: duplicate site "A", first at line 2`},
		{"unknown site key", "sites:\n  A: {client: [192.0.2.0/24]}\nrecords: []\n", `members.yaml:2: site "A": unknown key "client" (want location, clients)`},
		{"host bits", "sites:\n  A:\n    clients:\n      - 192.0.2.1/24\nrecords: []\n",
			`members.yaml:4: site "A": clients: CIDR "192.0.2.1/24" has host bits set; did you mean 192.0.2.0/24?`},
		{"network of two sites", "sites:\n  A: {clients: [192.0.2.0/24]}\n  B: {clients: [192.0.2.0/24]}\nrecords: []\n",
			`members.yaml:3: site "B": clients: 192.0.2.0/24 is already a client network of site "A"`},
		{"latitude", "sites:\n  A: {location: {latitude: 91, longitude: 0}}\nrecords: []\n",
			`members.yaml:2: site "A": location: latitude 91 must be between -90 and 90`},
		{"longitude text", "sites:\n  A: {location: {latitude: 0, longitude: east}}\nrecords: []\n",
			`members.yaml:2: site "A": location: longitude must be a number of degrees, got "east"`},
		{"half a location", "sites:\n  A: {location: {latitude: 0}}\nrecords: []\n",
			`members.yaml:2: site "A": location: want both latitude and longitude`},
		{"topology without sites", "records:\n  - fqdn: a.example.\n    algorithm: topology\n    members: [{site: A, address: 127.0.0.1}]\n",
			`members.yaml:2: record "a.example.": algorithm topology needs the sites mapping (their clients or locations)`},
		{"member without site", rec("    algorithm: topology\n", "{address: 127.0.0.1}"),
			`members.yaml:9: record "a.example.": member 1 (127.0.0.1) has no site; algorithm topology places members by site`},
		{"member of an unknown site", rec("    algorithm: geo\n", "{address: 127.0.0.1, site: SITE9}"),
			`members.yaml:9: record "a.example.": member 1 (127.0.0.1): unknown site "SITE9" (not in sites)`},
		{"unknown site in order", rec("    algorithm: topology\n    siteOrder: [SITE1, SITE2]\n", "{address: 127.0.0.1, site: SITE1}"),
			`members.yaml:8: record "a.example.": siteOrder: unknown site "SITE2" (not in sites)`},
		{"order twice", rec("    algorithm: topology\n    siteOrder: [SITE1, SITE1]\n", "{address: 127.0.0.1, site: SITE1}"),
			`members.yaml:6: record "a.example.": routing: site_order 2: site "SITE1" listed twice`},
		{"geo without locations", "sites:\n  A: {clients: [192.0.2.0/24]}\nrecords:\n  - fqdn: a.example.\n    algorithm: geo\n    members: [{site: A, address: 127.0.0.1}]\n",
			`members.yaml:4: record "a.example.": routing: algorithm GEO needs at least one site location`},
		{"hash mask", "records:\n  - fqdn: a.example.\n    algorithm: consistentHash\n    hashMask: {v4: 33}\n",
			`members.yaml:4: record "a.example.": hashMask: v4 33 must be between 0 and 32`},
		{"hash mask key", "defaults:\n  hashMask: {v5: 3}\nrecords: []\n",
			`members.yaml:2: defaults: hashMask: unknown key "v5" (want v4, v6)`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("members.yaml", []byte(tt.in))
			if err == nil || err.Error() != tt.want {
				t.Errorf("error\n got %v\nwant %s", err, tt.want)
			}
		})
	}
}
