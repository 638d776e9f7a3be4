package delegation

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

const testZone = "avi.iberia.local."

// soaServer is a real DNS server on loopback answering the zone's SOA as
// answer says; it returns the port.
func soaServer(t *testing.T, answer func(m *dns.Msg)) int {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		answer(m)
		_ = w.WriteMsg(m)
	})}
	go func() { _ = srv.ActivateAndServe() }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return pc.LocalAddr().(*net.UDPAddr).Port
}

func soaRR(owner string, serial uint32) *dns.SOA {
	return &dns.SOA{Hdr: dns.RR_Header{Name: owner, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 30},
		Ns: "g-dns-a.iberia.local.", Mbox: "hostmaster.iberia.local.", Serial: serial, Minttl: 4}
}

// The site check's rule: ready only on an authoritative NOERROR with the
// zone's SOA from a loaded table (serial not 0).
func TestSiteCheckAnswers(t *testing.T) {
	cases := []struct {
		name   string
		answer func(m *dns.Msg)
		want   string // "" ready; else in the error
	}{
		{"authoritative SOA from a table", func(m *dns.Msg) { m.Authoritative = true; m.Answer = []dns.RR{soaRR(testZone, 7)} }, ""},
		{"owner in another case", func(m *dns.Msg) { m.Authoritative = true; m.Answer = []dns.RR{soaRR("AVI.Iberia.Local.", 7)} }, ""},
		{"no table yet (serial 0)", func(m *dns.Msg) { m.Authoritative = true; m.Answer = []dns.RR{soaRR(testZone, 0)} }, "serial 0"},
		{"not authoritative", func(m *dns.Msg) { m.Answer = []dns.RR{soaRR(testZone, 7)} }, "without AA"},
		{"SERVFAIL", func(m *dns.Msg) { m.Rcode = dns.RcodeServerFailure }, "SERVFAIL"},
		{"REFUSED", func(m *dns.Msg) { m.Rcode = dns.RcodeRefused }, "REFUSED"},
		{"another zone's SOA", func(m *dns.Msg) { m.Authoritative = true; m.Answer = []dns.RR{soaRR("iberia.local.", 7)} }, "no SOA"},
		{"empty answer", func(m *dns.Msg) { m.Authoritative = true }, "no SOA"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &SiteCheck{Zone: testZone, Addrs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}, Port: soaServer(t, tc.answer)}
			ok, err := c.Serves(context.Background())
			switch {
			case tc.want == "" && (!ok || err != nil):
				t.Errorf("not ready (%v), want ready", err)
			case tc.want != "" && (ok || err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("ready %v, error %v; want not ready saying %q", ok, err, tc.want)
			}
		})
	}
}

// One address that answers is enough; none answering (a closed port, a
// silent one) is not ready, within the timeout.
func TestSiteCheckAddresses(t *testing.T) {
	good := soaServer(t, func(m *dns.Msg) { m.Authoritative = true; m.Answer = []dns.RR{soaRR(testZone, 3)} })
	silent, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	silentPort := silent.LocalAddr().(*net.UDPAddr).Port
	// 127.0.0.2 has nothing on the port: refused at once.
	two := []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("127.0.0.2")}
	if ok, err := (&SiteCheck{Zone: testZone, Addrs: two, Port: good}).Serves(context.Background()); !ok {
		t.Errorf("one of two addresses answers: not ready (%v), want ready", err)
	}
	if ok, _ := (&SiteCheck{Zone: testZone, Addrs: two[1:], Port: good}).Serves(context.Background()); ok {
		t.Error("nothing listens: ready, want not ready")
	}
	start := time.Now()
	c := &SiteCheck{Zone: testZone, Addrs: two[:1], Port: silentPort, Timeout: 200 * time.Millisecond}
	if ok, err := c.Serves(context.Background()); ok || err == nil {
		t.Errorf("a silent server: ready %v (%v), want not ready", ok, err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("a silent server took %v with a 200ms timeout", took)
	}
	if ok, err := (&SiteCheck{Zone: testZone}).Serves(context.Background()); ok || err == nil {
		t.Errorf("no addresses: ready %v (%v), want not ready", ok, err)
	}
}

// The readiness rule: the own plugin first; the site's DNS only when the
// own plugin serves no table; not ready when neither.
func TestReadinessRule(t *testing.T) {
	answering := soaServer(t, func(m *dns.Msg) { m.Authoritative = true; m.Answer = []dns.RR{soaRR(testZone, 9)} })
	noTable := soaServer(t, func(m *dns.Msg) { m.Authoritative = true; m.Answer = []dns.RR{soaRR(testZone, 0)} })
	lo := []netip.Addr{netip.MustParseAddr("127.0.0.1")}
	cases := []struct {
		name string
		own  bool
		site *SiteCheck
		want ReadyBy
	}{
		{"own plugin serves, no site check", true, nil, ReadyPlugin},
		{"own plugin serves, site answers", true, &SiteCheck{Zone: testZone, Addrs: lo, Port: answering}, ReadyPlugin},
		// Hairpin: the site's addresses cannot be reached from here; the own plugin keeps it ready.
		{"own plugin serves, site unreachable", true, &SiteCheck{Zone: testZone, Addrs: []netip.Addr{netip.MustParseAddr("127.0.0.2")}, Port: answering}, ReadyPlugin},
		{"own plugin down, site answers", false, &SiteCheck{Zone: testZone, Addrs: lo, Port: answering}, ReadySiteDNS},
		{"own plugin down, site without a table", false, &SiteCheck{Zone: testZone, Addrs: lo, Port: noTable}, NotReady},
		{"own plugin down, site unreachable", false, &SiteCheck{Zone: testZone, Addrs: []netip.Addr{netip.MustParseAddr("127.0.0.2")}, Port: answering}, NotReady},
		{"own plugin down, no site check", false, nil, NotReady},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := &Readiness{Own: func() bool { return tc.own }, Site: tc.site}
			if r.Last() != NotReady {
				t.Errorf("before a check: %q, want not ready", r.Last())
			}
			if got := r.Check(context.Background()); got != tc.want {
				t.Errorf("Check: %q, want %q", got, tc.want)
			}
			if got := r.Last(); got != tc.want {
				t.Errorf("Last: %q, want %q", got, tc.want)
			}
		})
	}
}

// track: the time the site stopped being ready, kept while it is not,
// cleared as soon as either check says ready again.
func TestTrack(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	cases := []struct {
		name          string
		notReadySince time.Time
		ready         bool
		want          time.Time
	}{
		{"ready stays ready", time.Time{}, true, time.Time{}},
		{"ready again", t0, true, time.Time{}},
		{"stops being ready", time.Time{}, false, t0.Add(time.Second)},
		{"still not ready", t0, false, t0},
	}
	for _, tc := range cases {
		if got := track(tc.notReadySince, tc.ready, t0.Add(time.Second)); !got.Equal(tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// The verdict is logged when it changes, never per check.
func TestReadinessLogsChanges(t *testing.T) {
	var own bool
	var buf bytes.Buffer
	r := &Readiness{Own: func() bool { return own }, Log: slog.New(slog.NewTextHandler(&buf, nil))}
	for _, step := range []struct {
		own  bool
		want string // the line logged, "" for none
	}{
		{false, "waiting for this site's DNS"},
		{false, ""},
		{true, "this site's DNS is ready"},
		{true, ""},
		{true, ""},
		{false, "this site's DNS is not ready"},
		{false, ""},
	} {
		own = step.own
		buf.Reset()
		r.Check(context.Background())
		switch got := buf.String(); {
		case step.want == "" && got != "":
			t.Errorf("own %v, no change: logged %q", step.own, got)
		case step.want != "" && (strings.Count(got, "\n") != 1 || !strings.Contains(got, step.want)):
			t.Errorf("own %v: logged %q, want one line with %q", step.own, got, step.want)
		}
	}
}
