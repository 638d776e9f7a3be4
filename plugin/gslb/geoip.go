package gslb

import (
	"fmt"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oschwald/maxminddb-golang/v2"
)

// geoDB is the GeoIP2/GeoLite2 City (or any MaxMind DB with
// location.latitude and location.longitude) that ALGORITHM_GEO locates
// clients with. It is read into memory once and swapped whole when the file
// changes (checked every interval), never per query. Loading decodes the
// location of every data record once, so a query only walks the database's
// search tree and indexes a map by the record's offset: no allocation.
type geoDB struct {
	path     string
	interval time.Duration
	cur      atomic.Pointer[geoVersion]

	stop chan struct{}
	done sync.WaitGroup
}

type geoVersion struct {
	r     *maxminddb.Reader
	locs  map[uintptr]geoPoint // by data record offset; located records only
	size  int64
	mtime time.Time
}

// cityRecord is the part of a City record that locates it.
type cityRecord struct {
	Location struct {
		Latitude  *float64 `maxminddb:"latitude"`
		Longitude *float64 `maxminddb:"longitude"`
	} `maxminddb:"location"`
}

// locations decodes the location of every data record of the database.
func locations(r *maxminddb.Reader) (map[uintptr]geoPoint, error) {
	locs := map[uintptr]geoPoint{}
	seen := map[uintptr]bool{}
	for res := range r.Networks() {
		if err := res.Err(); err != nil {
			return nil, err
		}
		off := res.Offset()
		if seen[off] {
			continue
		}
		seen[off] = true
		var rec cityRecord
		if err := res.Decode(&rec); err != nil {
			return nil, fmt.Errorf("network %s: %v", res.Prefix(), err)
		}
		if l := rec.Location; l.Latitude != nil && l.Longitude != nil {
			locs[off] = newGeoPoint(*l.Latitude, *l.Longitude)
		}
	}
	return locs, nil
}

// openGeoDB reads the database; an unreadable or invalid file is an error
// (at setup: the Corefile names a database that must exist).
func openGeoDB(path string, interval time.Duration) (*geoDB, error) {
	d := &geoDB{path: path, interval: interval}
	if _, err := d.load(); err != nil {
		return nil, err
	}
	return d, nil
}

// load reads the file when its size or modification time changed. A
// database read into memory (not mapped) can be replaced while queries still
// use the old one: the garbage collector frees it after them.
func (d *geoDB) load() (bool, error) {
	fi, err := os.Stat(d.path)
	if err != nil {
		return false, fmt.Errorf("geoip: %v", err)
	}
	if old := d.cur.Load(); old != nil && old.size == fi.Size() && old.mtime.Equal(fi.ModTime()) {
		return false, nil
	}
	b, err := os.ReadFile(d.path)
	if err != nil {
		return false, fmt.Errorf("geoip: %v", err)
	}
	r, err := maxminddb.OpenBytes(b)
	if err != nil {
		return false, fmt.Errorf("geoip: %s: %v", d.path, err)
	}
	locs, err := locations(r)
	if err != nil {
		return false, fmt.Errorf("geoip: %s: %v", d.path, err)
	}
	d.cur.Store(&geoVersion{r: r, locs: locs, size: fi.Size(), mtime: fi.ModTime()})
	return true, nil
}

// start checks the file every interval until close.
func (d *geoDB) start() {
	d.stop = make(chan struct{})
	d.done.Add(1)
	go func() {
		defer d.done.Done()
		t := time.NewTicker(d.interval)
		defer t.Stop()
		for {
			select {
			case <-d.stop:
				return
			case <-t.C:
				d.reload()
			}
		}
	}()
}

// reload loads a changed file; a bad one is logged and the old one serves.
func (d *geoDB) reload() {
	switch changed, err := d.load(); {
	case err != nil:
		log.Errorf("%v; still serving the database loaded before", err)
	case changed:
		log.Infof("geoip: reloaded %s", d.path)
	}
}

func (d *geoDB) close() {
	if d.stop != nil {
		close(d.stop)
		d.done.Wait()
		d.stop = nil
	}
}

// locate returns the location of an address and the prefix length of the
// database network holding it (the answer's scope). ok is false when there
// is no database, the address is not in it, or its entry has no location.
func (d *geoDB) locate(a netip.Addr) (p geoPoint, scope int, ok bool) {
	if d == nil || !a.IsValid() {
		return geoPoint{}, 0, false
	}
	v := d.cur.Load()
	res := v.r.Lookup(a)
	scope = max(res.Prefix().Bits(), 0)
	if !res.Found() {
		return geoPoint{}, scope, false
	}
	p, ok = v.locs[res.Offset()]
	return p, scope, ok
}
