package kube

// Shared labels maps: the Services and Ingresses of a cluster mostly carry
// the same few labels (app: gslb), and a labels map of one entry takes
// about 300 bytes, a third of a trimmed Ingress in the cache. The caches
// of one informer generation keep one map per distinct set of labels.

import (
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/gslbdns/gslb/syncer/kube/table"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// maxLabelSets bounds the distinct sets kept per generation: past it, an
// object keeps its own map.
const maxLabelSets = 4096

// labelSets hands out one labels map per distinct set, for the objects of
// one informer generation (whose caches are read-only, as every
// informer's).
type labelSets struct {
	mu   sync.Mutex
	sets map[string]map[string]string // by labelsKey
}

func newLabelSets() *labelSets {
	return &labelSets{sets: map[string]map[string]string{}}
}

// strip is stripManaged with the labels map shared with the objects that
// have the same labels: the informers' transform.
func (l *labelSets) strip(obj any) (any, error) {
	out, err := table.StripManaged(obj)
	if m, ok := out.(metav1.Object); ok && err == nil {
		m.SetLabels(l.shared(m.GetLabels()))
	}
	return out, err
}

// shared returns a map equal to m: the one handed out before for the same
// labels, or m.
func (l *labelSets) shared(m map[string]string) map[string]string {
	if len(m) == 0 {
		return m
	}
	k := labelsKey(m)
	l.mu.Lock()
	defer l.mu.Unlock()
	if s, ok := l.sets[k]; ok {
		return s
	}
	if len(l.sets) < maxLabelSets {
		l.sets[k] = m
	}
	return m
}

// labelsKey is the same string for equal sets of labels, and a different
// one for different sets (a label's key and value hold no NUL).
func labelsKey(m map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(m)) {
		b.WriteString(k)
		b.WriteByte(0)
		b.WriteString(m[k])
		b.WriteByte(0)
	}
	return b.String()
}
