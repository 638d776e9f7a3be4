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
	c.cur = buildIndex(recs, gen)
	return c.cur
}

func buildIndex(recs []*gslbv1.Record, gen uint64) *index {
	type entry struct {
		name string
		rec  *gslbv1.Record
	}
	es := make([]entry, len(recs))
	for i, r := range recs {
		es[i] = entry{normName(r.GetFqdn()), r}
	}
	slices.SortFunc(es, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	ix := &index{generation: gen, records: make([]*gslbv1.Record, len(es)), names: make([]string, len(es))}
	for i, e := range es {
		ix.records[i], ix.names[i] = e.rec, e.name
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
