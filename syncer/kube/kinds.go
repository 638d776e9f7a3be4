package kube

// Which optional kinds (optional.go) the source looks for, and which of
// them a cluster's status names while their CRDs are missing: the kinds=
// option.

import (
	"fmt"
	"slices"
	"strings"
)

// OptionalKinds is the kinds= option.
type OptionalKinds struct {
	// Listed are the kinds looked for; nil: every optional kind.
	Listed []string
	// Noted: a kind looked for that a cluster does not serve is named in
	// the policies' status of that cluster. Not noted (auto), it is only
	// logged once and counted in gslb_syncer_kube_kind_watched.
	Noted bool
}

// ParseOptionalKinds parses kinds=: "auto" (every kind looked for and
// watched when its CRD appears, a missing one not named in the status),
// "all" (the same, missing ones named), or a list of kinds (only those
// looked for, missing ones named).
func ParseOptionalKinds(v string) (OptionalKinds, error) {
	switch v = strings.TrimSpace(v); strings.ToLower(v) {
	case "auto", "":
		return OptionalKinds{}, nil
	case "all":
		return OptionalKinds{Noted: true}, nil
	}
	known := optionalKindNames()
	var out OptionalKinds
	for s := range strings.SplitSeq(v, ",") {
		s = strings.TrimSpace(s)
		i := slices.IndexFunc(known, func(k string) bool { return strings.EqualFold(k, s) })
		if i < 0 {
			return OptionalKinds{}, fmt.Errorf("option kinds: %q is not an optional kind (want auto, all, or some of %s)", s, strings.Join(known, ", "))
		}
		out.Listed = append(out.Listed, known[i])
	}
	slices.Sort(out.Listed)
	out.Listed, out.Noted = slices.Compact(out.Listed), true
	return out, nil
}

// filter keeps the kinds looked for.
func (k OptionalKinds) filter(ks []optionalKind) []optionalKind {
	if k.Listed == nil {
		return ks
	}
	return slices.DeleteFunc(ks, func(o optionalKind) bool { return !k.looksFor(o.kind) })
}

// looksFor tells whether kind is looked for.
func (k OptionalKinds) looksFor(kind string) bool {
	return k.Listed == nil || slices.Contains(k.Listed, kind)
}

// optionalKindNames are the names of every optional kind, sorted.
func optionalKindNames() []string {
	var out []string
	for _, k := range optionalKinds() {
		out = append(out, k.kind)
	}
	slices.Sort(out)
	return out
}
