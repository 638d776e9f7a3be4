package gslb

import (
	"slices"
	"strings"
)

// mergeNames makes the entries of t from those of the last signed table,
// replacing the records that changed: only the shards t does not share with
// it are compared. It returns the indexes whose entry is new or whose next
// name may have changed (a changed name and the one before it), and the
// names removed.
func (s *zoneSigner) mergeNames(old *signedZone, t *Table) ([]*signedName, []int, []string) {
	base := slices.Clone(old.names)
	type insert struct {
		at int // index in old.names it goes before
		e  *signedName
	}
	var adds []insert
	var touched []string // keys of the changed names
	var gone []string
	change := func(name string, rec *Record) {
		if !s.ours(name) {
			return
		}
		var e *signedName
		if st := old.statics[name]; rec != nil || st != nil {
			e = s.newName(name, rec, st)
		}
		var buf [keyBufLen]byte
		k, _ := canonKey(buf[:0], name)
		i, found := old.find(k)
		switch {
		case found:
			base[i] = e
			if e == nil {
				gone = append(gone, name)
			}
		case e != nil:
			adds = append(adds, insert{i, e})
		default:
			return
		}
		touched = append(touched, string(k))
	}
	for i, sh := range t.shards {
		was := old.table.shards[i]
		if sh == was {
			continue
		}
		for name, rec := range sh.records {
			if was.records[name] != rec {
				change(name, rec)
			}
		}
		for name := range was.records {
			if _, ok := sh.records[name]; !ok {
				change(name, nil)
			}
		}
	}
	out := base
	if len(adds) > 0 || len(gone) > 0 {
		slices.SortFunc(adds, func(a, b insert) int { return strings.Compare(a.e.key, b.e.key) })
		out = make([]*signedName, 0, len(base)+len(adds))
		from := 0
		for _, a := range adds { // copy runs of base between insertions
			out = appendLive(out, base[from:a.at])
			out = append(out, a.e)
			from = a.at
		}
		out = appendLive(out, base[from:])
	}
	var dirty []int
	for _, k := range touched {
		i, found := findName(out, []byte(k))
		if found {
			dirty = append(dirty, i)
		}
		dirty = append(dirty, (i-1+len(out))%len(out))
	}
	slices.Sort(dirty)
	return out, slices.Compact(dirty), gone
}

// appendLive appends the entries of from that are not nil (removed).
func appendLive(out, from []*signedName) []*signedName {
	for len(from) > 0 {
		i := slices.Index(from, nil)
		if i < 0 {
			return append(out, from...)
		}
		out = append(out, from[:i]...)
		from = from[i+1:]
	}
	return out
}
