package health

import (
	"testing"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
)

// served is a plugin's record fqdn, with members address=health.
func served(fqdn string, members ...*gslbv1.Member) *gslbv1.Record {
	return &gslbv1.Record{Fqdn: fqdn, Members: members}
}

func servedMember(addr string, h gslbv1.Health, reason string) *gslbv1.Member {
	return &gslbv1.Member{Address: addr, Weight: 1, Health: h, HealthReason: reason}
}

// A seeded DOWN member stays DOWN until rise probes pass, from the first
// table on; a seeded UP one stays UP until fall probes fail.
func TestSeedDownStaysDownUntilRise(t *testing.T) {
	const down, up = "127.0.0.11", "127.0.0.12"
	rec := helloRecord("hello.example.", testCheck, down, up)
	var n int
	r := newRigWith(t, Options{}, []*gslbv1.Record{rec}, func(r *rig) {
		n = r.p.Seed([]*gslbv1.Record{served("hello.example.",
			servedMember(down, gslbv1.Health_HEALTH_DOWN, "connect: connection refused"),
			servedMember(up, gslbv1.Health_HEALTH_UP, "HTTP 200 from GET /"))})
	})
	if n != 2 {
		t.Errorf("Seed seeded %d targets, want 2", n)
	}
	// Both sites answer now; the up one fails its first probes.
	r.net.set(up, "HTTP 503 from GET /")
	tab := r.waitPublished(1)
	if h, why := member(t, tab, "hello.example.", down); h != gslbv1.Health_HEALTH_DOWN || why != "connect: connection refused" {
		t.Errorf("first table: seeded-down member %v %q, want DOWN as seeded (one pass of rise %d)", h, why, testCheck.Rise)
	}
	if h, why := member(t, tab, "hello.example.", up); h != gslbv1.Health_HEALTH_UP || why != "HTTP 200 from GET /" {
		t.Errorf("first table: seeded-up member %v %q, want UP as seeded (one failure of fall %d)", h, why, testCheck.Fall)
	}
	for i := 1; i < testCheck.Rise; i++ {
		r.tick(testCheck.Interval, uint64(2+2*i))
	}
	tab = r.waitTable("the seeded-down member back up after rise passes", func(tab []*gslbv1.Record) bool {
		h, _ := member(t, tab, "hello.example.", down)
		return h == gslbv1.Health_HEALTH_UP
	})
	if h, _ := member(t, tab, "hello.example.", up); h != gslbv1.Health_HEALTH_UP {
		t.Errorf("seeded-up member %v after %d failures, want still UP", h, testCheck.Rise)
	}
	for i := testCheck.Rise; i < testCheck.Fall; i++ {
		r.tick(testCheck.Interval, uint64(2+2*i))
	}
	r.waitTable("the seeded-up member down after fall failures", func(tab []*gslbv1.Record) bool {
		h, why := member(t, tab, "hello.example.", up)
		return h == gslbv1.Health_HEALTH_DOWN && why == "HTTP 503 from GET /"
	})
}

// Only what matches is seeded: the same fqdn and a probed member of the same
// address, UP or DOWN in the plugin, not DOWN in the source, without a
// result of its own.
func TestSeedMatches(t *testing.T) {
	admin := helloRecord("admin.example.", testCheck, "127.0.0.31")
	admin.Members[0].Health = gslbv1.Health_HEALTH_DOWN
	admin.Members[0].HealthReason = "maintenance"
	unprobed := helloRecord("unprobed.example.", testCheck, "127.0.0.41")
	unprobed.Members[0].Check = nil
	recs := []*gslbv1.Record{
		helloRecord("hello.example.", testCheck, "127.0.0.11", "127.0.0.12", "127.0.0.13"),
		admin,
		unprobed,
		// One target in two records, which the plugin shows differently.
		helloRecord("shared1.example.", testCheck, "127.0.0.51"),
		helloRecord("shared2.example.", testCheck, "127.0.0.51"),
	}
	p := New(Options{})
	p.Update(recs)
	n := p.Seed([]*gslbv1.Record{
		served("hello.example.",
			servedMember("127.0.0.11", gslbv1.Health_HEALTH_DOWN, "HTTP 503 from GET /"),
			servedMember("127.0.0.12", gslbv1.Health_HEALTH_UNKNOWN, ""),  // tells nothing
			servedMember("127.0.0.99", gslbv1.Health_HEALTH_DOWN, "gone"), // not in the source
			&gslbv1.Member{Hostname: "lb.example.net.", Weight: 1, Health: gslbv1.Health_HEALTH_DOWN}),
		served("other.example.", servedMember("127.0.0.13", gslbv1.Health_HEALTH_DOWN, "another record")),
		served("admin.example.", servedMember("127.0.0.31", gslbv1.Health_HEALTH_DOWN, "maintenance")),
		served("unprobed.example.", servedMember("127.0.0.41", gslbv1.Health_HEALTH_DOWN, "file")),
		served("shared1.example.", servedMember("127.0.0.51", gslbv1.Health_HEALTH_UP, "HTTP 200 from GET /")),
		served("shared2.example.", servedMember("127.0.0.51", gslbv1.Health_HEALTH_DOWN, "HTTP 500 from GET /")),
	})
	if n != 2 {
		t.Errorf("Seed seeded %d targets, want 2 (.11 and .51)", n)
	}
	tab, ok := p.render()
	if !ok {
		t.Fatal("nothing to render")
	}
	for _, c := range []struct {
		fqdn, addr string
		h          gslbv1.Health
		why        string
	}{
		{"hello.example.", "127.0.0.11", gslbv1.Health_HEALTH_DOWN, "HTTP 503 from GET /"},
		{"hello.example.", "127.0.0.12", gslbv1.Health_HEALTH_UNKNOWN, ""},
		{"hello.example.", "127.0.0.13", gslbv1.Health_HEALTH_UNKNOWN, ""},
		{"admin.example.", "127.0.0.31", gslbv1.Health_HEALTH_DOWN, "maintenance"},
		{"unprobed.example.", "127.0.0.41", gslbv1.Health_HEALTH_UNKNOWN, ""},
		{"shared1.example.", "127.0.0.51", gslbv1.Health_HEALTH_DOWN, "HTTP 500 from GET /"},
		{"shared2.example.", "127.0.0.51", gslbv1.Health_HEALTH_DOWN, "HTTP 500 from GET /"},
	} {
		if h, why := member(t, tab.Records, c.fqdn, c.addr); h != c.h || why != c.why {
			t.Errorf("%s in %s: %v %q, want %v %q", c.addr, c.fqdn, h, why, c.h, c.why)
		}
	}
	// The administratively down member's target stays unknown: when the
	// override goes, its own probes decide.
	for key, tg := range p.targets {
		if key.Address == "127.0.0.31" && tg.st.health != gslbv1.Health_HEALTH_UNKNOWN {
			t.Errorf("the target of an administratively down member was seeded %v", tg.st.health)
		}
	}

	// Seeding again changes nothing seeded already.
	if n := p.Seed([]*gslbv1.Record{served("hello.example.", servedMember("127.0.0.11", gslbv1.Health_HEALTH_UP, "x"))}); n != 0 {
		t.Errorf("a second Seed seeded %d targets, want 0", n)
	}
}

// A target with a result of its own is not seeded.
func TestSeedAfterProbesIgnored(t *testing.T) {
	r := newRig(t, Options{}, []*gslbv1.Record{helloRecord("hello.example.", testCheck, "127.0.0.11")})
	r.waitPublished(1)
	if n := r.p.Seed([]*gslbv1.Record{served("hello.example.", servedMember("127.0.0.11", gslbv1.Health_HEALTH_DOWN, "old"))}); n != 0 {
		t.Errorf("Seed seeded %d probed targets, want 0", n)
	}
	if h, _ := member(t, r.last(), "hello.example.", "127.0.0.11"); h != gslbv1.Health_HEALTH_UP {
		t.Errorf("member %v, want UP from its probe", h)
	}
}

// A probe leader's followers that watched before the seed take the seeded
// health: the probes that follow confirm it and decide nothing new.
func TestSeedNotifiesWatchers(t *testing.T) {
	const down, up = "127.0.0.11", "127.0.0.12"
	var w watched
	newRigWith(t, Options{}, []*gslbv1.Record{helloRecord("hello.example.", testCheck, down, up)}, func(r *rig) {
		r.p.WatchDecisions(w.add)
		r.p.Seed([]*gslbv1.Record{served("hello.example.",
			servedMember(down, gslbv1.Health_HEALTH_DOWN, "connect: connection refused"),
			servedMember(up, gslbv1.Health_HEALTH_UP, "HTTP 200 from GET /"))})
	})
	calls := w.get()
	if len(calls) != 3 || len(calls[0]) != 0 {
		t.Fatalf("calls %v, want an empty snapshot, then one per seeded target", calls)
	}
	got := map[string]Decision{}
	for _, c := range calls[1:] {
		for _, d := range c {
			got[d.Target] = d
		}
	}
	if d := got[targetKey(down)]; d.Health != gslbv1.Health_HEALTH_DOWN || d.Reason != "connect: connection refused" {
		t.Errorf("seeded-down member's decision %+v, want DOWN with the plugin's reason", d)
	}
	if d := got[targetKey(up)]; d.Health != gslbv1.Health_HEALTH_UP || d.Reason != "HTTP 200 from GET /" {
		t.Errorf("seeded-up member's decision %+v, want UP with the plugin's reason", d)
	}
}
