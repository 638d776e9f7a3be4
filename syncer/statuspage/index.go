package statuspage

// Search and paging on the server: the records sorted by name once per
// table (generation), then each request scans the names for the query and
// converts only the page it shows. No full-table JSON is ever built.

import (
	"slices"
	"strings"
	"sync"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
)

// Page sizes.
const (
	defaultPageSize = 50
	maxPageSize     = 500
)

// index is one table sorted by name.
type index struct {
	generation uint64
	records    []*gslbv1.Record // sorted by lowered name
	names      []string         // lowered fqdn, without the final dot
	perm       []int            // records[i] is the table's perm[i]
}

// indexCache keeps the index of the newest table.
type indexCache struct {
	mu  sync.Mutex
	cur *index
}

// get returns the index of the table, built if the generation changed.
func (c *indexCache) get(t Table) *index {
	recs, gen, ok := t.Desired()
	if !ok {
		return &index{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur != nil && c.cur.generation == gen {
		return c.cur
	}
	if c.cur != nil {
		if ix, ok := c.cur.reorder(recs, gen); ok {
			c.cur = ix
			return ix
		}
	}
	c.cur = buildIndex(recs, gen)
	return c.cur
}

// reorder is the index of a new generation of the same names in the same
// order (a health change: the prober renders each record in its place),
// without sorting again; false when the names moved.
func (ix *index) reorder(recs []*gslbv1.Record, gen uint64) (*index, bool) {
	if len(recs) != len(ix.perm) {
		return nil, false
	}
	out := &index{generation: gen, records: make([]*gslbv1.Record, len(recs)), names: ix.names, perm: ix.perm}
	for i, j := range ix.perm {
		if normName(recs[j].GetFqdn()) != ix.names[i] {
			return nil, false
		}
		out.records[i] = recs[j]
	}
	return out, true
}

func buildIndex(recs []*gslbv1.Record, gen uint64) *index {
	type entry struct {
		name string
		at   int
	}
	es := make([]entry, len(recs))
	for i, r := range recs {
		es[i] = entry{normName(r.GetFqdn()), i}
	}
	slices.SortFunc(es, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	ix := &index{generation: gen, records: make([]*gslbv1.Record, len(es)), names: make([]string, len(es)), perm: make([]int, len(es))}
	for i, e := range es {
		ix.records[i], ix.names[i], ix.perm[i] = recs[e.at], e.name, e.at
	}
	return ix
}

func normName(s string) string { return strings.ToLower(strings.TrimSuffix(s, ".")) }

// search returns the page'th page (from 1) of the records whose name
// contains q (case-insensitive), the number matched and the page clamped.
func (ix *index) search(q string, page, size int) (recs []*gslbv1.Record, matched, clamped int) {
	q = normName(strings.TrimSpace(q))
	size = pageSize(size)
	page = max(page, 1)
	from := (page - 1) * size
	if q == "" { // every record: no scan
		matched = len(ix.names)
		if from >= matched && matched > 0 {
			from, page = (matched-1)/size*size, (matched-1)/size+1
		}
		return ix.records[min(from, matched):min(from+size, matched)], matched, page
	}
	for i, n := range ix.names {
		if q != "" && !strings.Contains(n, q) {
			continue
		}
		if matched >= from && matched < from+size {
			recs = append(recs, ix.records[i])
		}
		matched++
	}
	if len(recs) == 0 && matched > 0 && from >= matched { // past the end: the last page
		return ix.search(q, (matched+size-1)/size, size)
	}
	return recs, matched, page
}

// find returns the record named name, or nil.
func (ix *index) find(name string) *gslbv1.Record {
	n := normName(name)
	i, ok := slices.BinarySearch(ix.names, n)
	if !ok {
		return nil
	}
	return ix.records[i]
}

func pageSize(size int) int {
	if size <= 0 {
		return defaultPageSize
	}
	return min(size, maxPageSize)
}
