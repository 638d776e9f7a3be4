package health

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

const (
	helpTargets     = "# HELP gslb_syncer_health_targets Targets probed (a member address with a check), by type.\n# TYPE gslb_syncer_health_targets gauge\n"
	helpUp          = "# HELP gslb_syncer_health_target_up 1 when the target is up, 0 when it is down; absent while its health is unknown.\n# TYPE gslb_syncer_health_target_up gauge\n"
	helpInfo        = "# HELP gslb_syncer_health_target_info Always 1: the target's health (up, down, unknown) and the reason of its last transition.\n# TYPE gslb_syncer_health_target_info gauge\n"
	helpProbes      = "# HELP gslb_syncer_health_probes_total Probes completed, by type and result (ok or fail).\n# TYPE gslb_syncer_health_probes_total counter\n"
	helpTransitions = "# HELP gslb_syncer_health_transitions_total Changes of a target's health, by the health it went to (up or down).\n# TYPE gslb_syncer_health_transitions_total counter\n"
)

// expectMetrics compares the named metrics of reg with want (exposition text
// without the HELP and TYPE lines, which help adds).
func expectMetrics(t *testing.T, reg *prometheus.Registry, help, want string, names ...string) {
	t.Helper()
	if err := testutil.GatherAndCompare(reg, strings.NewReader(help+want), names...); err != nil {
		t.Error(err)
	}
}

// histogramCount returns the count of observations of the histogram name
// with the label type=typ.
func histogramCount(t *testing.T, reg *prometheus.Registry, name, typ string) uint64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "type" && l.GetValue() == typ {
					return m.GetHistogram().GetSampleCount()
				}
			}
		}
	}
	t.Fatalf("no %s{type=%q}", name, typ)
	return 0
}

func TestProberMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	tcp := Check{Type: TypeTCP, Port: 5432, Interval: time.Second, Timeout: 500 * time.Millisecond, Rise: 2, Fall: 3}.WithDefaults("")
	recs := []*gslbv1.Record{
		helloRecord("hello.example.", testCheck, "127.0.0.11", "127.0.0.12"),
		helloRecord("db.example.", tcp, "127.0.0.21"),
	}
	// .21 hangs: its first probe has no result yet, so it is unknown.
	hang := make(chan struct{})
	r := newRigWith(t, Options{Registerer: reg}, recs, func(r *rig) { r.net.hang["127.0.0.21"] = hang })
	r.waitProbes(2)

	expectMetrics(t, reg, helpTargets, `
gslb_syncer_health_targets{type="http"} 2
gslb_syncer_health_targets{type="https"} 0
gslb_syncer_health_targets{type="tcp"} 1
`, "gslb_syncer_health_targets")
	expectMetrics(t, reg, helpUp, `
gslb_syncer_health_target_up{address="127.0.0.11",port="80",type="http"} 1
gslb_syncer_health_target_up{address="127.0.0.12",port="80",type="http"} 1
`, "gslb_syncer_health_target_up")
	expectMetrics(t, reg, helpInfo, `
gslb_syncer_health_target_info{address="127.0.0.11",health="up",port="80",reason="HTTP 200 from GET /",type="http"} 1
gslb_syncer_health_target_info{address="127.0.0.12",health="up",port="80",reason="HTTP 200 from GET /",type="http"} 1
gslb_syncer_health_target_info{address="127.0.0.21",health="unknown",port="5432",reason="",type="tcp"} 1
`, "gslb_syncer_health_target_info")

	// .12 fails fall times: down, with the reason of the probe that took it out.
	close(hang)
	r.waitProbes(3)
	r.net.set("127.0.0.12", "HTTP 503 from GET /")
	probes := uint64(3)
	for range testCheck.Fall {
		probes += 3
		r.tick(testCheck.Interval, probes)
	}
	expectMetrics(t, reg, helpUp, `
gslb_syncer_health_target_up{address="127.0.0.11",port="80",type="http"} 1
gslb_syncer_health_target_up{address="127.0.0.12",port="80",type="http"} 0
gslb_syncer_health_target_up{address="127.0.0.21",port="5432",type="tcp"} 1
`, "gslb_syncer_health_target_up")
	expectMetrics(t, reg, helpInfo, `
gslb_syncer_health_target_info{address="127.0.0.11",health="up",port="80",reason="HTTP 200 from GET /",type="http"} 1
gslb_syncer_health_target_info{address="127.0.0.12",health="down",port="80",reason="HTTP 503 from GET /",type="http"} 1
gslb_syncer_health_target_info{address="127.0.0.21",health="up",port="5432",reason="TCP connect ok",type="tcp"} 1
`, "gslb_syncer_health_target_info")
	expectMetrics(t, reg, helpProbes, `
gslb_syncer_health_probes_total{result="fail",type="http"} 3
gslb_syncer_health_probes_total{result="fail",type="https"} 0
gslb_syncer_health_probes_total{result="fail",type="tcp"} 0
gslb_syncer_health_probes_total{result="ok",type="http"} 5
gslb_syncer_health_probes_total{result="ok",type="https"} 0
gslb_syncer_health_probes_total{result="ok",type="tcp"} 4
`, "gslb_syncer_health_probes_total")
	expectMetrics(t, reg, helpTransitions, `
gslb_syncer_health_transitions_total{to="down"} 1
gslb_syncer_health_transitions_total{to="up"} 3
`, "gslb_syncer_health_transitions_total")
	if n := histogramCount(t, reg, "gslb_syncer_health_probe_duration_seconds", "http"); n != 8 {
		t.Errorf("%d http probe durations observed, want 8", n)
	}
	if n := histogramCount(t, reg, "gslb_syncer_health_probe_duration_seconds", "tcp"); n != 4 {
		t.Errorf("%d tcp probe durations observed, want 4", n)
	}

	// A target removed by Update loses its series at once.
	r.p.Update(recs[:1])
	expectMetrics(t, reg, helpTargets, `
gslb_syncer_health_targets{type="http"} 2
gslb_syncer_health_targets{type="https"} 0
gslb_syncer_health_targets{type="tcp"} 0
`, "gslb_syncer_health_targets")
	expectMetrics(t, reg, helpInfo, `
gslb_syncer_health_target_info{address="127.0.0.11",health="up",port="80",reason="HTTP 200 from GET /",type="http"} 1
gslb_syncer_health_target_info{address="127.0.0.12",health="down",port="80",reason="HTTP 503 from GET /",type="http"} 1
`, "gslb_syncer_health_target_info")
}

// Two checks of one address and port (another path) are two targets but one
// series, which shows the worse of them.
func TestProberMetricsSharedSeries(t *testing.T) {
	reg := prometheus.NewRegistry()
	other := testCheck
	other.Path = "/other"
	recs := []*gslbv1.Record{
		helloRecord("a.example.", testCheck, "127.0.0.11"),
		helloRecord("b.example.", other, "127.0.0.11"),
	}
	r := newRigWith(t, Options{Registerer: reg}, recs, func(r *rig) { r.net.set("127.0.0.11 /other", "HTTP 404 from GET /other") })
	r.waitPublished(1)
	expectMetrics(t, reg, helpTargets, `
gslb_syncer_health_targets{type="http"} 2
gslb_syncer_health_targets{type="https"} 0
gslb_syncer_health_targets{type="tcp"} 0
`, "gslb_syncer_health_targets")
	// "/" passed (up), "/other" failed once (still unknown): up wins.
	expectMetrics(t, reg, helpInfo, `
gslb_syncer_health_target_info{address="127.0.0.11",health="up",port="80",reason="HTTP 200 from GET /",type="http"} 1
`, "gslb_syncer_health_target_info")
	for i := 1; i < testCheck.Fall; i++ {
		r.tick(testCheck.Interval, uint64(2+2*i))
	}
	// "/other" is down: down wins.
	expectMetrics(t, reg, helpUp, `
gslb_syncer_health_target_up{address="127.0.0.11",port="80",type="http"} 0
`, "gslb_syncer_health_target_up")
	expectMetrics(t, reg, helpInfo, `
gslb_syncer_health_target_info{address="127.0.0.11",health="down",port="80",reason="HTTP 404 from GET /other",type="http"} 1
`, "gslb_syncer_health_target_info")
}

// A private registry when none is given: two Probers never collide.
func TestProberMetricsPrivateRegistry(t *testing.T) {
	New(Options{})
	New(Options{})
}

// BenchmarkCollect scrapes the metrics of 10,000 targets.
func BenchmarkCollect(b *testing.B) {
	reg := prometheus.NewRegistry()
	p := New(Options{Registerer: reg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	var recs []*gslbv1.Record
	for i := range 100 {
		rec := &gslbv1.Record{Fqdn: fmt.Sprintf("r%d.example.", i)}
		pc := testCheck.Proto()
		for j := range 100 {
			rec.Members = append(rec.Members, &gslbv1.Member{Address: fmt.Sprintf("10.%d.%d.1", i, j), Weight: 1, Check: pc})
		}
		recs = append(recs, rec)
	}
	p.Update(recs)
	// No Run: the targets stay unknown, with an info series each.
	b.ResetTimer()
	for b.Loop() {
		if n, err := testutil.GatherAndCount(reg, "gslb_syncer_health_target_info"); err != nil || n != 10_000 {
			b.Fatalf("%d series, %v", n, err)
		}
	}
}
