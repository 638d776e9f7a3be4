package gslb

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"

	"github.com/gslbdns/gslb/test/geodb"
	"github.com/miekg/dns"
)

type place = geodb.Place

var (
	madrid  = place{CIDR: "192.0.2.0/24", Lat: 40.42, Lon: -3.70, Located: true}
	berlin  = place{CIDR: "198.51.100.0/24", Lat: 52.52, Lon: 13.40, Located: true}
	nowhere = place{CIDR: "203.0.113.0/24"} // in the database, no location
)

// writeGeoDB writes a GeoIP2-City-like database of the places.
func writeGeoDB(t testing.TB, path string, places ...place) {
	t.Helper()
	if err := geodb.Write(path, places...); err != nil {
		t.Fatal(err)
	}
}

// geoRecord has SITE1 in Madrid and SITE2 in Frankfurt.
func geoRecord() *gslbv1.Record {
	r := rec("geo.avi.iberia.local",
		sited(mem("127.0.0.11", 6), "SITE1"), sited(mem("127.0.0.12", 4), "SITE1"), sited(mem("127.0.0.13", 2), "SITE2"))
	r.Algorithm = gslbv1.Algorithm_ALGORITHM_GEO
	r.Routing = &gslbv1.Routing{
		Locations: []*gslbv1.SiteLocation{{Site: "SITE1", Latitude: 40.4, Longitude: -3.7}, {Site: "SITE2", Latitude: 50.1, Longitude: 8.7}},
		SiteOrder: []string{"SITE2"},
	}
	return r
}

func geoGSLB(t *testing.T, places ...place) (*GSLB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "city.mmdb")
	writeGeoDB(t, path, places...)
	g := newTestGSLB(t, testConfig(), nil)
	db, err := openGeoDB(path, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	g.geo = db
	return g, path
}

func TestGeo(t *testing.T) {
	const name = "geo.avi.iberia.local."
	g, _ := geoGSLB(t, madrid, berlin, nowhere)
	full(t, g, geoRecord())
	for _, tc := range []struct {
		ecs   string
		want  []string
		scope int
	}{
		{"192.0.2.0/24", []string{"127.0.0.11", "127.0.0.12"}, 24}, // Madrid: SITE1
		{"198.51.100.0/24", []string{"127.0.0.13"}, 24},            // Berlin: Frankfurt is nearer
		{"203.0.113.0/24", []string{"127.0.0.13"}, 24},             // no location: the order (SITE2)
		{"100.64.0.0/24", []string{"127.0.0.13"}, 1},               // not in the database: the order
	} {
		for i, want := range tc.want {
			got, ecs := answerECS(t, serveFrom(t, g, ecsQuery(name, dns.TypeA, tc.ecs), "127.0.0.1"))
			if got != want || int(ecs.SourceScope) != tc.scope {
				t.Errorf("%s query %d: %s scope %d, want %s scope %d", tc.ecs, i+1, got, ecs.SourceScope, want, tc.scope)
			}
		}
	}
	// SITE2 down: Berlin gets the next nearest, SITE1.
	r := geoRecord()
	r.Members[2].Health = gslbv1.Health_HEALTH_DOWN
	full(t, g, r)
	if got, _ := answerECS(t, serveFrom(t, g, ecsQuery(name, dns.TypeA, "198.51.100.0/24"), "127.0.0.1")); got != "127.0.0.11" {
		t.Errorf("Berlin with SITE2 down: %s, want 127.0.0.11", got)
	}
}

func TestGeoWithoutDatabase(t *testing.T) {
	g := newTestGSLB(t, testConfig(), nil)
	full(t, g, geoRecord())
	got, ecs := answerECS(t, serveFrom(t, g, ecsQuery("geo.avi.iberia.local.", dns.TypeA, "192.0.2.0/24"), "127.0.0.1"))
	if got != "127.0.0.13" || ecs.SourceScope != 0 {
		t.Errorf("%s scope %d, want the order's SITE2 (127.0.0.13), scope 0", got, ecs.SourceScope)
	}
}

func TestGeoReload(t *testing.T) {
	g, path := geoGSLB(t, madrid)
	a := netip.MustParseAddr("192.0.2.1")
	if p, _, ok := g.geo.locate(a); !ok || p != newGeoPoint(madrid.Lat, madrid.Lon) {
		t.Fatalf("locate = %v %v, want Madrid", p, ok)
	}
	// The file is replaced: Madrid's network moves to Berlin.
	moved := berlin
	moved.CIDR = madrid.CIDR
	writeGeoDB(t, path, moved)
	now := time.Now().Add(time.Second)
	if err := os.Chtimes(path, now, now); err != nil { // a new mtime even on coarse clocks
		t.Fatal(err)
	}
	if changed, err := g.geo.load(); !changed || err != nil {
		t.Fatalf("load = %v, %v; want a reload", changed, err)
	}
	if p, _, ok := g.geo.locate(a); !ok || p != newGeoPoint(berlin.Lat, berlin.Lon) {
		t.Errorf("after reload: %v %v, want Berlin", p, ok)
	}
	// A broken file keeps the last good database.
	if err := os.WriteFile(path, []byte("not a database"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := g.geo.load(); err == nil {
		t.Error("a broken database loaded without error")
	}
	if _, _, ok := g.geo.locate(a); !ok {
		t.Error("a broken file dropped the last good database")
	}
	// The reload loop picks a change up by itself.
	g.geo.interval = 10 * time.Millisecond
	g.geo.start()
	defer g.geo.close()
	writeGeoDB(t, path, madrid)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if p, _, _ := g.geo.locate(a); p == newGeoPoint(madrid.Lat, madrid.Lon) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the reload loop did not pick up the new file within 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
