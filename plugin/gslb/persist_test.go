package gslb

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/test/wait"
)

func TestPersistRoundTrip(t *testing.T) {
	dir := shortDir(t)
	path := filepath.Join(dir, "state", "table.pb")
	r := testRegistry()
	f := startTestFeed(t, r, "unix://"+filepath.Join(dir, "a.sock"), nil, path)
	tb, err := f.apply(&gslbv1.ApplyHeader{Kind: gslbv1.Kind_KIND_FULL}, scenarioTable(), nil)
	if err != nil {
		t.Fatal(err)
	}
	wait.For(t, 10*time.Second, "the persist file", func() bool {
		s, err := readSnapshot(path)
		return err == nil && s != nil && s.GetVersion() == tb.Version()
	})
	// A second feed (a restarted process) restores it before serving.
	r2 := testRegistry()
	f2 := startTestFeed(t, r2, "unix://"+filepath.Join(dir, "b.sock"), nil, path)
	got := f2.table.Load()
	if got == nil || got.Version() != tb.Version() || got.Len() != tb.Len() {
		t.Fatalf("restored %v, want version %d with %d records", got, tb.Version(), tb.Len())
	}
}

// Changes faster than the interval are coalesced, and the last one is
// written at shutdown.
func TestPersistCoalescesAndFlushes(t *testing.T) {
	dir := shortDir(t)
	path := filepath.Join(dir, "table.pb")
	r := testRegistry()
	f, _ := r.get("unix://"+filepath.Join(dir, "a.sock"), nil, path)
	f.addZones([]string{zone})
	if err := r.start(f); err != nil {
		t.Fatal(err)
	}
	f.saver.interval = time.Hour // after the first write, nothing more until stop
	apply := func(w uint32) *Table {
		tb, err := f.apply(&gslbv1.ApplyHeader{Kind: gslbv1.Kind_KIND_FULL},
			[]*gslbv1.Record{rec("hello.avi.iberia.local", mem("127.0.0.11", w))}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return tb
	}
	first := apply(1)
	wait.For(t, 10*time.Second, "the first write", func() bool {
		s, err := readSnapshot(path)
		return err == nil && s != nil && s.GetVersion() == first.Version()
	})
	// One change within the interval: it is pending when the feed stops.
	last := apply(2)
	wait.For(t, 10*time.Second, "the change to be taken up", func() bool { return len(f.saver.kick) == 0 })
	if s, _ := readSnapshot(path); s.GetVersion() != first.Version() {
		t.Fatalf("written again within the interval: version %d", s.GetVersion())
	}
	r.stop(f)
	s, err := readSnapshot(path)
	if err != nil || s.GetVersion() != last.Version() {
		t.Fatalf("after shutdown the file holds %v (%v), want version %d", s.GetVersion(), err, last.Version())
	}
}

func TestPersistCorruptFileIsIgnored(t *testing.T) {
	dir := shortDir(t)
	path := filepath.Join(dir, "table.pb")
	good := &gslbv1.Snapshot{Version: 42, Records: scenarioTable()}
	if err := writeSnapshot(path, good); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)

	for name, bad := range map[string][]byte{
		"truncated":  b[:len(b)-3],
		"bit flip":   append(append([]byte{}, b[:30]...), append([]byte{b[30] ^ 1}, b[31:]...)...),
		"not ours":   []byte("hello.avi.iberia.local 127.0.0.11\n"),
		"empty file": {},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := decodeSnapshot(bad); err == nil {
				t.Fatal("decoded a damaged file")
			}
			if err := os.WriteFile(path, bad, 0o600); err != nil {
				t.Fatal(err)
			}
			r := testRegistry()
			f := startTestFeed(t, r, "unix://"+filepath.Join(dir, strings.ReplaceAll(name, " ", "")+".sock"), nil, path)
			if f.table.Load() != nil {
				t.Fatal("a damaged file was restored; the feed must start not ready")
			}
		})
	}
	// A valid file whose records are outside the zones is refused too.
	out := &gslbv1.Snapshot{Version: 1, Records: []*gslbv1.Record{rec("a.example.org", mem("192.0.2.1", 1))}}
	writeSnapshot(path, out)
	f := startTestFeed(t, testRegistry(), "unix://"+filepath.Join(dir, "z.sock"), nil, path)
	if f.table.Load() != nil {
		t.Fatal("restored records outside the zones")
	}
}

// A reload starts the new instance before the old one shuts down: the feed,
// its table and its listener carry over.
func TestReloadKeepsFeed(t *testing.T) {
	dir := shortDir(t)
	listen := "unix://" + filepath.Join(dir, "a.sock")
	r := testRegistry()
	f1 := startTestFeed(t, r, listen, nil, "")
	tb, _ := f1.apply(&gslbv1.ApplyHeader{Kind: gslbv1.Kind_KIND_FULL}, scenarioTable(), nil)

	// New instance: setup (get) and OnStartup (start); then the old shutdown.
	f2, err := r.get(listen, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	f2.addZones([]string{zone})
	if err := r.start(f2); err != nil {
		t.Fatal(err)
	}
	f1.removeZones([]string{zone})
	r.stop(f1)
	if f2 != f1 || f2.table.Load() != tb || f2.srv == nil {
		t.Fatal("the reload lost the feed, its table or its server")
	}
	c := dialUnix(t, filepath.Join(dir, "a.sock"))
	if st, err := c.Status(t.Context(), &gslbv1.StatusRequest{}); err != nil || st.GetVersion() != tb.Version() {
		t.Fatalf("after reload: %v %v", st, err)
	}
	// A changed persist path on a running feed is refused.
	if _, err := r.get(listen, nil, "/elsewhere.pb"); err == nil {
		t.Fatal("a different persist path for a running feed was accepted")
	}
}

// Members' health checks are stored as pushed (one message per distinct
// check), persisted and restored; they play no part in answers.
func TestPersistKeepsChecks(t *testing.T) {
	dir := shortDir(t)
	path := filepath.Join(dir, "table.pb")
	f := startTestFeed(t, testRegistry(), "unix://"+filepath.Join(dir, "a.sock"), nil, path)
	recs := scenarioTable()
	hc := func() *gslbv1.HealthCheck {
		return &gslbv1.HealthCheck{Type: gslbv1.CheckType_CHECK_TYPE_HTTP, Path: "/", Port: 8080, IntervalMs: 200, TimeoutMs: 100, Rise: 2, Fall: 3}
	}
	for _, m := range recs[0].Members {
		m.Check = hc()
	}
	recs[1].Members[0].Check = hc()
	tb, err := f.apply(&gslbv1.ApplyHeader{Kind: gslbv1.Kind_KIND_FULL}, recs, nil)
	if err != nil {
		t.Fatal(err)
	}
	hello, test := tb.get("hello.avi.iberia.local."), tb.get("test.avi.iberia.local.")
	if hello.src.Members[0].Check != hello.src.Members[2].Check || hello.src.Members[0].Check != test.src.Members[0].Check {
		t.Error("equal checks are stored once per member, not shared")
	}
	wait.For(t, 10*time.Second, "the persist file", func() bool {
		s, err := readSnapshot(path)
		return err == nil && s != nil && s.GetVersion() == tb.Version()
	})
	f2 := startTestFeed(t, testRegistry(), "unix://"+filepath.Join(dir, "b.sock"), nil, path)
	for _, m := range f2.table.Load().get("hello.avi.iberia.local.").src.Members {
		if m.GetCheck().GetPort() != 8080 || m.GetCheck().GetIntervalMs() != 200 {
			t.Errorf("restored member %s check %v, want the pushed one", m.GetAddress(), m.GetCheck())
		}
	}
}
