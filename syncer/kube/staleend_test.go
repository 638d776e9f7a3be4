package kube

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
)

// When a cluster's kept members leave the table (its grace expired), the
// log says they were dropped, not that the cluster is seen again; when its
// members are back without stale marks, it says it is seen again.
func TestStaleEndSaysWhy(t *testing.T) {
	kept := func(stale bool) []*gslbv1.Record {
		m := &gslbv1.Member{Address: "127.0.0.13", Cluster: "s2", Weight: 1}
		if stale {
			m.Stale = &gslbv1.Stale{SinceUnixNano: 1, Reason: "cluster s2 unreachable"}
		}
		other := &gslbv1.Member{Address: "127.0.0.11", Cluster: "s1az1", Weight: 1}
		return []*gslbv1.Record{{Fqdn: "hello.avi.iberia.local.", Members: []*gslbv1.Member{other, m}}}
	}
	dropped := []*gslbv1.Record{{Fqdn: "hello.avi.iberia.local.", Members: []*gslbv1.Member{{Address: "127.0.0.11", Cluster: "s1az1", Weight: 1}}}}
	for _, tc := range []struct {
		name  string
		after []*gslbv1.Record
		want  string
	}{
		{"grace expired", dropped, "what its owner kept was dropped"},
		{"seen again", kept(false), "its owner is seen again"},
	} {
		var buf bytes.Buffer
		log := slog.New(slog.NewTextHandler(&buf, nil))
		var l staleLog
		m := newMetrics(nil)
		l.report(log, m, kept(true))
		l.report(log, m, tc.after)
		out := buf.String()
		if !strings.Contains(out, tc.want) || strings.Count(out, "nothing kept stale any more") != 1 {
			t.Errorf("%s: log\n%s\nwant one end line saying %q", tc.name, out, tc.want)
		}
	}
}
