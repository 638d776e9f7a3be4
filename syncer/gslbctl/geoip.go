package gslbctl

import (
	"net/netip"

	"github.com/oschwald/maxminddb-golang/v2"
)

// GeoIP is a Locator over a MaxMind DB file (the plugin's geoip database).
type GeoIP struct{ r *maxminddb.Reader }

// OpenGeoIP opens a GeoIP2/GeoLite2 City database.
func OpenGeoIP(path string) (*GeoIP, error) {
	r, err := maxminddb.Open(path)
	if err != nil {
		return nil, err
	}
	return &GeoIP{r: r}, nil
}

// Close releases the database.
func (g *GeoIP) Close() error { return g.r.Close() }

// Locate implements Locator.
func (g *GeoIP) Locate(a netip.Addr) (lat, lon float64, network netip.Prefix, ok bool) {
	res := g.r.Lookup(a)
	var rec struct {
		Location struct {
			Latitude  *float64 `maxminddb:"latitude"`
			Longitude *float64 `maxminddb:"longitude"`
		} `maxminddb:"location"`
	}
	if !res.Found() || res.Decode(&rec) != nil || rec.Location.Latitude == nil || rec.Location.Longitude == nil {
		return 0, 0, res.Prefix(), false
	}
	return *rec.Location.Latitude, *rec.Location.Longitude, res.Prefix(), true
}
