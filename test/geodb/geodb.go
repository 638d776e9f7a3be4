// Package geodb writes small MaxMind DB files (GeoIP2-City layout) for
// tests, with github.com/maxmind/mmdbwriter: the format the gslb plugin's
// geoip database and CoreDNS's geoip plugin read.
package geodb

import (
	"fmt"
	"net"
	"os"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// Place is a network of the database; Located false leaves its location out
// (a City entry without coordinates).
type Place struct {
	CIDR     string
	Lat, Lon float64
	Located  bool
}

// Write writes a database of the places to path atomically (beside it, then
// renamed), as a database update would land.
func Write(path string, places ...Place) error {
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "GeoIP2-City", RecordSize: 24, IncludeReservedNetworks: true})
	if err != nil {
		return err
	}
	for _, p := range places {
		_, n, err := net.ParseCIDR(p.CIDR)
		if err != nil {
			return fmt.Errorf("geodb: %v", err)
		}
		v := mmdbtype.Map{"city": mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String(p.CIDR)}}}
		if p.Located {
			v["location"] = mmdbtype.Map{"latitude": mmdbtype.Float64(p.Lat), "longitude": mmdbtype.Float64(p.Lon)}
		}
		if err := tree.Insert(n, v); err != nil {
			return fmt.Errorf("geodb: %s: %v", p.CIDR, err)
		}
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := tree.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
