package gslb

import (
	"maps"
	"slices"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
)

// numShards splits the table so that a delta copies only the shards it
// touches (copy-on-write), not the whole map: a one-record delta on a
// 100k-record table clones about 400 entries.
const numShards = 256

// Table is one immutable version of the GSLB table. It is published through
// an atomic.Pointer and never modified after that: an update builds a new
// Table, sharing every untouched shard and record with the old one.
type Table struct {
	version uint32
	updated time.Time
	count   int
	shards  [numShards]*shard
	// aliases maps each record with hostname members to their targets,
	// for the CNAME chain check of every apply (see chains.go).
	aliases map[string][]string
}

type shard struct {
	records map[string]*Record
	// ents counts, for every proper ancestor of a record name, the records
	// beneath it: such a name exists (an empty non-terminal) and answers
	// NODATA, not NXDOMAIN (RFC 8020).
	ents map[string]int32
}

var emptyShard = &shard{records: map[string]*Record{}, ents: map[string]int32{}}

// shardOf hashes a canonical name (FNV-1a).
func shardOf[S ~string | ~[]byte](name S) int {
	h := uint32(2166136261)
	for i := 0; i < len(name); i++ {
		h ^= uint32(name[i])
		h *= 16777619
	}
	return int(h % numShards)
}

// lookup finds a canonical (lower-case, fully qualified) name. It does not
// allocate: indexing a map with string(b) is free.
func (t *Table) lookup(name []byte) (rec *Record, ent bool) {
	s := t.shards[shardOf(name)]
	if r, ok := s.records[string(name)]; ok {
		return r, false
	}
	_, ent = s.ents[string(name)]
	return nil, ent
}

// Version is the table version, served as the SOA serial.
func (t *Table) Version() uint32 { return t.version }

// Len is the number of records.
func (t *Table) Len() int { return t.count }

// get returns the record of a canonical name.
func (t *Table) get(name string) *Record {
	return t.shards[shardOf(name)].records[name]
}

// each calls fn for every record, in name order.
func (t *Table) each(fn func(*Record)) {
	names := make([]string, 0, t.count)
	for _, s := range t.shards {
		for n := range s.records {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	for _, n := range names {
		fn(t.get(n))
	}
}

// newEmptyTable returns a table with no records.
func newEmptyTable() *Table {
	t := &Table{}
	for i := range t.shards {
		t.shards[i] = emptyShard
	}
	return t
}

// builder makes the next table from a previous one, copying each shard at
// most once.
type builder struct {
	prev   *Table // records whose counters and compiled form may be reused
	t      *Table
	cloned [numShards]bool
	sc     scheduleCache
	rc     routeCache
	// aliasesCloned: t.aliases is this builder's copy.
	aliasesCloned bool
	// changed: a record was added, replaced by a different one or removed.
	changed bool
}

func newBuilder(base, prev *Table) *builder {
	t := &Table{count: base.count, shards: base.shards, aliases: base.aliases}
	return &builder{prev: prev, t: t, sc: scheduleCache{}, rc: routeCache{}}
}

func (b *builder) shard(i int) *shard {
	if !b.cloned[i] {
		old := b.t.shards[i]
		b.t.shards[i] = &shard{records: maps.Clone(old.records), ents: maps.Clone(old.ents)}
		b.cloned[i] = true
	}
	return b.t.shards[i]
}

// put inserts or replaces a record (validated, canonical fqdn).
func (b *builder) put(r *gslbv1.Record) {
	name := r.GetFqdn()
	var prev *Record
	if b.prev != nil {
		prev = b.prev.get(name)
	}
	var rec *Record
	if prev != nil && sameRecord(prev.src, r) {
		rec = prev // unchanged: keep the compiled record and its WRR position
	} else {
		rec = compileRecord(r, prev, b.sc, b.rc)
	}
	old, exists := b.t.shards[shardOf(name)].records[name]
	if exists && old == rec {
		return // the same record: nothing to copy
	}
	b.changed = true
	s := b.shard(shardOf(name))
	if !exists {
		b.t.count++
		b.addEnts(name, 1)
	}
	s.records[name] = rec
	b.setAlias(name, gslbv1.HostnameTargets(r))
}

// setAlias records the hostname targets of a record (none: not an alias).
func (b *builder) setAlias(name string, targets []string) {
	if _, was := b.t.aliases[name]; !was && len(targets) == 0 {
		return
	}
	if !b.aliasesCloned {
		b.t.aliases = maps.Clone(b.t.aliases)
		if b.t.aliases == nil {
			b.t.aliases = map[string][]string{}
		}
		b.aliasesCloned = true
	}
	if len(targets) == 0 {
		delete(b.t.aliases, name)
	} else {
		b.t.aliases[name] = targets
	}
}

// remove deletes a record; removing an absent name is a no-op.
func (b *builder) remove(name string) {
	i := shardOf(name)
	if _, ok := b.t.shards[i].records[name]; !ok {
		return
	}
	b.changed = true
	delete(b.shard(i).records, name)
	b.t.count--
	b.addEnts(name, -1)
	b.setAlias(name, nil)
}

// checkChains refuses CNAME loops and over-long in-zone chains in the table
// being built.
func (b *builder) checkChains() error {
	return gslbv1.ValidateChains(b.t.aliases, func(name string) bool { return b.t.get(name) != nil })
}

func (b *builder) addEnts(name string, d int32) {
	for off := 0; ; {
		// Advance to the next label.
		for off < len(name) && name[off] != '.' {
			if name[off] == '\\' {
				off++
			}
			off++
		}
		off++
		if off >= len(name) {
			return // the root is never an ENT worth storing
		}
		anc := name[off:]
		s := b.shard(shardOf(anc))
		if n := s.ents[anc] + d; n > 0 {
			s.ents[anc] = n
		} else {
			delete(s.ents, anc)
		}
	}
}

func (b *builder) finish(version uint32, now time.Time) *Table {
	b.t.version = version
	b.t.updated = now
	return b.t
}
