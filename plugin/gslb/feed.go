package gslb

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"

	"google.golang.org/protobuf/proto"
)

// feed owns one table and everything that changes it: the gRPC listener the
// syncer pushes to, and the persist file. Every server block that names the
// same listen address shares one feed, so one push updates all of them.
type feed struct {
	addr    string // listen address, the feed's identity
	tlsArgs []string
	persist string

	table atomic.Pointer[Table] // nil until a table is loaded: not ready

	mu    sync.Mutex // serialises applies; queries never take it
	zones map[string]int
	stats map[string]*zoneStats

	now   func() time.Time
	met   *feedMetrics
	srv   *server
	saver *persister
	refs  int // started server blocks using this feed
	// signers are the signed zones of the server blocks using this feed:
	// each table is signed before it is served (setup_sign.go).
	signers []*zoneSigner
}

// errorKind is why an apply was refused.
type errorKind int

const (
	errInvalid  errorKind = iota // the content is invalid
	errConflict                  // the base version is not the current one
)

// applyError is a refused apply. The message names the record at fault.
type applyError struct {
	kind errorKind
	msg  string
}

func (e *applyError) Error() string { return e.msg }

func newFeed(addr string, now func() time.Time) *feed {
	f := &feed{
		addr:  addr,
		zones: map[string]int{},
		stats: map[string]*zoneStats{},
		now:   now,
	}
	f.met = newFeedMetrics(f)
	return f
}

// addZones registers the zones of a server block; records must fall inside one.
func (f *feed) addZones(zones []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, z := range zones {
		f.zones[z]++
	}
}

func (f *feed) removeZones(zones []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, z := range zones {
		if f.zones[z]--; f.zones[z] <= 0 {
			delete(f.zones, z)
		}
	}
}

func (f *feed) zoneList() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	zs := make([]string, 0, len(f.zones))
	for z := range f.zones {
		zs = append(zs, z)
	}
	slices.Sort(zs)
	return zs
}

// zoneStats returns the request counters of a zone, shared by reloads.
func (f *feed) zoneStats(zone string) *zoneStats {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.stats[zone]
	if s == nil {
		s = &zoneStats{}
		f.stats[zone] = s
	}
	return s
}

// inZone reports whether a canonical name is at or below one of the zones.
// Callers hold f.mu.
func (f *feed) inZone(name string) bool {
	for z := range f.zones {
		if matchZone(name, z) {
			return true
		}
	}
	return false
}

// nextVersion returns the version after cur. Versions follow the clock
// (seconds since the epoch, like many SOA serials) so that they keep rising
// across restarts that lost the table, and at least by one per apply.
func (f *feed) nextVersion(cur uint32) uint32 {
	v := uint32(f.now().Unix())
	if v <= cur {
		v = cur + 1
	}
	if v == 0 {
		v = 1 // 0 means "no table"
	}
	return v
}

// apply validates and applies a FULL or DELTA change all-or-nothing. On
// success the new table is swapped in and returned.
func (f *feed) apply(h *gslbv1.ApplyHeader, upserts []*gslbv1.Record, deletes []string) (*Table, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	prev := f.table.Load()
	t, err := f.applyLocked(h, upserts, deletes)
	kind := h.GetKind().String()
	if err != nil {
		f.met.rejected(kind, err)
		return nil, err
	}
	f.met.applied(kind)
	if f.saver != nil && t != prev {
		f.saver.changed()
	}
	return t, nil
}

func (f *feed) applyLocked(h *gslbv1.ApplyHeader, upserts []*gslbv1.Record, deletes []string) (*Table, error) {
	invalid := func(format string, a ...any) error {
		return &applyError{kind: errInvalid, msg: fmt.Sprintf(format, a...)}
	}
	cur := f.table.Load()
	curVersion := uint32(0)
	if cur != nil {
		curVersion = cur.version
	}
	switch h.GetKind() {
	case gslbv1.Kind_KIND_FULL:
		if len(deletes) > 0 {
			return nil, invalid("a FULL apply carries no deletes")
		}
		if b := h.GetBaseVersion(); b != 0 && b != curVersion {
			return nil, &applyError{kind: errConflict, msg: fmt.Sprintf("base version %d is not the current version %d", b, curVersion)}
		}
	case gslbv1.Kind_KIND_DELTA:
		if cur == nil {
			return nil, &applyError{kind: errConflict, msg: "no table is loaded: send a FULL apply"}
		}
		if b := h.GetBaseVersion(); b != curVersion {
			return nil, &applyError{kind: errConflict, msg: fmt.Sprintf("base version %d is not the current version %d", b, curVersion)}
		}
	default:
		return nil, invalid("missing or unknown apply kind %v: the first chunk must carry the header", h.GetKind())
	}
	if n := len(upserts) + len(deletes); n > gslbv1.MaxRecordsPerPush {
		return nil, invalid("%d records in one apply, at most %d", n, gslbv1.MaxRecordsPerPush)
	}

	// Validate everything before building anything.
	canon, seen, err := f.validateRecords(upserts)
	if err != nil {
		return nil, invalid("%v", err)
	}
	dels := make([]string, len(deletes))
	for i, d := range deletes {
		name, err := gslbv1.CanonicalName(d)
		if err != nil {
			return nil, invalid("delete %q: %v", d, err)
		}
		if !f.inZone(name) {
			return nil, invalid("delete %q is outside every zone of this server (%v)", name, keys(f.zones))
		}
		if _, dup := seen[name]; dup {
			return nil, invalid("record %q is both upserted and deleted, or deleted twice", name)
		}
		seen[name] = struct{}{}
		dels[i] = name
	}

	var b *builder
	if h.GetKind() == gslbv1.Kind_KIND_FULL {
		b = newBuilder(newEmptyTable(), cur)
	} else {
		b = newBuilder(cur, cur)
	}
	for _, r := range canon {
		b.put(r)
	}
	for _, d := range dels {
		b.remove(d)
	}
	if err := b.checkChains(); err != nil {
		return nil, invalid("%v", err)
	}
	if !b.changed && h.GetKind() == gslbv1.Kind_KIND_DELTA {
		return cur, nil // nothing changed: the version (the SOA serial) stays
	}
	t := b.finish(f.nextVersion(curVersion), f.now())
	f.signTable(t)
	f.table.Store(t)
	return t, nil
}

// validateRecords checks the records of an apply or a restore: each valid
// on its own, inside a zone and named once. It returns them with canonical
// names (a record whose name changes is cloned, never modified) and the set
// of the names. Equal health checks of members are pointed at one message
// (the only change made to a record: they are the feed's own, decoded from
// a push or the persist file). Callers hold f.mu.
func (f *feed) validateRecords(recs []*gslbv1.Record) ([]*gslbv1.Record, map[string]struct{}, error) {
	seen := make(map[string]struct{}, len(recs))
	canon := make([]*gslbv1.Record, len(recs))
	var v gslbv1.Validator // each distinct routing once
	var checks gslbv1.CheckPool
	for i, r := range recs {
		if err := v.Record(r); err != nil {
			return nil, nil, err
		}
		name, _ := gslbv1.CanonicalName(r.GetFqdn())
		if !f.inZone(name) {
			return nil, nil, fmt.Errorf("record %q is outside every zone of this server (%v)", name, keys(f.zones))
		}
		if err := f.checkApex(name, r); err != nil {
			return nil, nil, err
		}
		if _, dup := seen[name]; dup {
			return nil, nil, fmt.Errorf("record %q appears more than once", name)
		}
		seen[name] = struct{}{}
		if name != r.GetFqdn() {
			r = proto.CloneOf(r)
			r.Fqdn = name
		}
		checks.Share(r) // one message per distinct check, not one per member
		canon[i] = r
	}
	return canon, seen, nil
}

// restore installs a table read from the persist file, keeping its version.
func (f *feed) restore(s *gslbv1.Snapshot) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s.GetVersion() == 0 {
		return fmt.Errorf("snapshot has version 0")
	}
	recs, _, err := f.validateRecords(s.GetRecords())
	if err != nil {
		return err
	}
	b := newBuilder(newEmptyTable(), nil)
	for _, r := range recs {
		b.put(r)
	}
	if err := b.checkChains(); err != nil {
		return err
	}
	t := b.finish(s.GetVersion(), time.Unix(0, s.GetUpdatedUnixNano()))
	f.signTable(t)
	f.table.Store(t)
	return nil
}

// snapshot returns the current table in its wire form, or nil.
func (f *feed) snapshot() *gslbv1.Snapshot {
	t := f.table.Load()
	if t == nil {
		return nil
	}
	s := &gslbv1.Snapshot{Version: t.version, UpdatedUnixNano: t.updated.UnixNano()}
	s.Records = make([]*gslbv1.Record, 0, t.count)
	t.each(func(r *Record) { s.Records = append(s.Records, r.src) })
	return s
}

func keys(m map[string]int) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// matchZone reports whether the canonical name is zone or below it.
func matchZone[S ~string | ~[]byte](name S, zone string) bool {
	if zone == "." {
		return true
	}
	n, z := len(name), len(zone)
	if n < z || string(name[n-z:]) != zone {
		return false
	}
	return n == z || name[n-z-1] == '.'
}
