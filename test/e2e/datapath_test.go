package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/test/e2e/harness"

	"github.com/miekg/dns"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// (a) The scenario's split: 1,200 queries for hello get exactly 600, 400 and
// 200 answers for s1az1, s1az2 and s2, over UDP and over TCP. Smooth WRR is
// exact over any whole number of cycles (6:4:2 is a cycle of 6), wherever the
// run starts, so the two runs may follow each other on one server.
func TestExactSplit(t *testing.T) {
	t.Parallel()
	st := startStack(t, w642)
	for _, proto := range []string{"udp", "tcp"} {
		t.Run(proto, func(t *testing.T) {
			expectSplit(t, harness.Dial(t, st.c.Addr, proto), 1200, w642)
		})
	}
}

// (b) The zone itself: the apex SOA the delegation wizard asks for, NODATA
// (with the SOA) for AAAA of an IPv4-only name, NXDOMAIN (with the SOA) for
// names not in the table, and the static record.
func TestZoneAnswers(t *testing.T) {
	t.Parallel()
	st := startStack(t, w642)
	version := st.start.GetVersion()

	checkSOA := func(t *testing.T, rr dns.RR, ttl uint32) {
		t.Helper()
		soa, ok := rr.(*dns.SOA)
		if !ok {
			t.Fatalf("want an SOA record, got %v", rr)
		}
		want := dns.SOA{
			Hdr: dns.RR_Header{Name: zone, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: ttl},
			Ns:  "g-dns.iberia.local.", Mbox: "hostmaster.iberia.local.", Serial: version,
			Refresh: 10800, Retry: 3600, Expire: 86400, Minttl: 30,
		}
		got := *soa
		got.Hdr.Rdlength = 0
		if got.String() != want.String() {
			t.Errorf("SOA\n got %v\nwant %v", &got, &want)
		}
	}
	for _, proto := range []string{"udp", "tcp"} {
		t.Run(proto, func(t *testing.T) {
			q := func(name string, qtype uint16, rcode int) *dns.Msg {
				t.Helper()
				r := harness.Query(t, st.c.Addr, proto, name, qtype)
				if r.Rcode != rcode || !r.Authoritative {
					t.Fatalf("%s %s: got %s, want %s with the AA flag", name, dns.TypeToString[qtype], harness.Brief(r), dns.RcodeToString[rcode])
				}
				return r
			}

			r := q(zone, dns.TypeSOA, dns.RcodeSuccess)
			if len(r.Answer) != 1 || len(r.Ns) != 0 {
				t.Fatalf("apex SOA: want the SOA alone in the answer: %s", harness.Brief(r))
			}
			checkSOA(t, r.Answer[0], 30)

			r = q(zone, dns.TypeNS, dns.RcodeSuccess)
			if len(r.Answer) != 1 || r.Answer[0].(*dns.NS).Ns != "g-dns.iberia.local." {
				t.Errorf("apex NS: want g-dns.iberia.local.: %s", harness.Brief(r))
			}

			for _, c := range []struct {
				name  string
				qtype uint16
				rcode int
			}{
				{hello, dns.TypeAAAA, dns.RcodeSuccess},                     // NODATA: curl must not stall
				{"HeLLo.Avi.Iberia.Local.", dns.TypeAAAA, dns.RcodeSuccess}, // names are case-insensitive
				{"nothere." + zone, dns.TypeA, dns.RcodeNameError},
				{"nothere." + zone, dns.TypeAAAA, dns.RcodeNameError},
				{"deep.under.hello." + zone, dns.TypeA, dns.RcodeNameError},
			} {
				r := q(c.name, c.qtype, c.rcode)
				if len(r.Answer) != 0 || len(r.Ns) != 1 {
					t.Errorf("%s %s: want no answer and the SOA in authority: %s", c.name, dns.TypeToString[c.qtype], harness.Brief(r))
					continue
				}
				checkSOA(t, r.Ns[0], 30) // negative TTL: min(SOA TTL, minimum)
			}

			r = q(static, dns.TypeA, dns.RcodeSuccess)
			ip, ttl, err := harness.OneA(r)
			if err != nil || ip.String() != staticIP || ttl != 300 {
				t.Errorf("static record: want %s with TTL 300: %s", staticIP, harness.Brief(r))
			}
		})
	}
}

// (c) An edit of the members file is answered within a second, whether the
// file is rewritten in place or replaced by a rename (atomic saves, ConfigMap
// updates). Each test edits twice, so the file is still watched after the
// first change (a watch on the replaced inode would miss the second).
func TestLiveEdit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		write func(testing.TB, string, string)
	}{
		{"rewrite", harness.WriteFile},
		{"rename", harness.ReplaceFile},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := startStack(t, w642)
			cl := harness.Dial(t, st.c.Addr, "udp")
			expectSplit(t, cl, 120, w642)

			// 6:4:2 to 6:3:1. 20 answers (two cycles of 10) hold 12:6:2, which
			// no 20 answers of 6:4:2 can: any 18 of them hold 9:6:3.
			start := time.Now()
			tc.write(t, st.yaml, membersYAML(w631))
			d := awaitSplit(t, cl, start, w631, 20, waitTimeout)
			t.Logf("propagation (%s) 6:4:2 -> 6:3:1: %v", tc.name, d)
			if d > propagationLimit {
				t.Errorf("the edit to 6:3:1 took %v to be answered, more than %v", d, propagationLimit)
			}
			expectSplit(t, cl, 1000, w631)

			// And back. 24 answers (four cycles of 6) hold 12:8:4, which no 24
			// answers of 6:3:1 can: any 20 hold 12:6:2 and 4 more add at most one s2.
			start = time.Now()
			tc.write(t, st.yaml, membersYAML(w642))
			d = awaitSplit(t, cl, start, w642, 24, waitTimeout)
			t.Logf("propagation (%s) 6:3:1 -> 6:4:2: %v", tc.name, d)
			if d > propagationLimit {
				t.Errorf("the edit back to 6:4:2 took %v to be answered, more than %v", d, propagationLimit)
			}
			expectSplit(t, cl, 1200, w642)
		})
	}
}

// (d) kill -9 of the syncer changes nothing: the plugin keeps serving the
// last table, exactly. A new syncer then picks up an edit made meanwhile,
// and stops with exit status 0 on SIGTERM.
func TestSyncerKilled(t *testing.T) {
	t.Parallel()
	st := startStack(t, w642)
	udp, tcp := harness.Dial(t, st.c.Addr, "udp"), harness.Dial(t, st.c.Addr, "tcp")
	expectSplit(t, udp, 120, w642)
	serial := soaSerial(t, st.c.Addr)

	st.s.Kill()
	expectSplit(t, udp, 1200, w642)
	expectSplit(t, tcp, 1200, w642)
	if s := soaSerial(t, st.c.Addr); s != serial {
		t.Errorf("SOA serial changed from %d to %d with the syncer dead", serial, s)
	}

	// An edit while no syncer runs is not seen...
	harness.WriteFile(t, st.yaml, membersYAML(w631))
	expectSplit(t, udp, 1200, w642)
	// ...until a syncer runs again.
	st.startSyncer(t)
	awaitSplit(t, udp, time.Now(), w631, 20, waitTimeout)
	expectSplit(t, udp, 1000, w631)
	if code := st.s.Stop(); code != 0 {
		t.Errorf("gslb-syncer exited with status %d on SIGTERM, want 0\n%s", code, st.s.Stderr())
	}
	expectSplit(t, udp, 1000, w631)
}

// (e) coredns-gslb restarted while the syncer is down answers from its
// persist file: the same table, the same version (SOA serial), exactly the
// same split, and ready at once.
func TestRestartFromPersist(t *testing.T) {
	t.Parallel()
	st := startStack(t, w642)
	cl := harness.Dial(t, st.c.Addr, "udp")
	expectSplit(t, cl, 120, w642)

	// Change the table once, so that what is restored is not the first one.
	harness.WriteFile(t, st.yaml, membersYAML(w631))
	awaitSplit(t, cl, time.Now(), w631, 20, waitTimeout)
	stat, err := st.c.Status()
	if err != nil {
		t.Fatal(err)
	}
	version := stat.GetVersion()
	if version == st.start.GetVersion() {
		t.Fatalf("the edit did not change the table version (%d)", version)
	}
	// Writes are coalesced to one a second: wait for the one holding version.
	harness.Eventually(t, waitTimeout, func() error {
		v, err := persistedVersion(st.c.Persist)
		if err != nil {
			return err
		}
		if v != version {
			return fmt.Errorf("%s holds version %d, want %d", st.c.Persist, v, version)
		}
		return nil
	})

	st.s.Kill()
	st.c.Kill() // no chance to flush anything: only the file counts
	st.c.Restart()

	stat, err = st.c.Status()
	if err != nil {
		t.Fatal(err)
	}
	if stat.GetVersion() != version || stat.GetRecords() != 2 {
		t.Errorf("after the restart: version %d with %d records, want version %d with 2", stat.GetVersion(), stat.GetRecords(), version)
	}
	if s := soaSerial(t, st.c.Addr); s != version {
		t.Errorf("after the restart: SOA serial %d, want %d", s, version)
	}
	if code, body, err := harness.HTTPGet("http://" + st.c.HostPort("ready") + "/ready"); err != nil || code != 200 {
		t.Errorf("after the restart: /ready answered %d %q (%v), want 200", code, body, err)
	}
	expectSplit(t, harness.Dial(t, st.c.Addr, "udp"), 1000, w631)
	expectSplit(t, harness.Dial(t, st.c.Addr, "tcp"), 1000, w631)
	r := harness.Query(t, st.c.Addr, "udp", static, dns.TypeA)
	if ip, _, err := harness.OneA(r); err != nil || ip.String() != staticIP {
		t.Errorf("static record after the restart: %s", harness.Brief(r))
	}
}

// (e, continued) The syncer keeps running while coredns-gslb is killed, and
// the file is edited meanwhile: the restarted server restores the old table
// from its persist file, the syncer notices that the server is behind (its
// version is not the one last pushed) and pushes the edit.
func TestCoreDNSRestartCatchesUp(t *testing.T) {
	t.Parallel()
	st := startStack(t, w642)
	harness.Eventually(t, waitTimeout, func() error {
		v, err := persistedVersion(st.c.Persist)
		if err == nil && v != st.start.GetVersion() {
			err = fmt.Errorf("persist file holds version %d, want %d", v, st.start.GetVersion())
		}
		return err
	})
	st.c.Kill()
	harness.WriteFile(t, st.yaml, membersYAML(w631))
	start := time.Now()
	st.c.Restart()
	cl := harness.Dial(t, st.c.Addr, "udp")
	d := awaitSplit(t, cl, start, w631, 20, waitTimeout)
	t.Logf("the restarted server answered the edit made while it was down after %v", d)
	expectSplit(t, cl, 1000, w631)
}

// (e, continued) A table pushed just before a clean shutdown (SIGTERM)
// survives the restart, even though persist writes are coalesced to one a
// second: the pending write is flushed at shutdown.
func TestShutdownFlushesPersist(t *testing.T) {
	t.Parallel()
	c := harness.StartCoreDNS(t, corefile, nil)
	api := c.TableClient()
	full := &gslbv1.ApplyHeader{Kind: gslbv1.Kind_KIND_FULL}
	first, err := push(api, full, membersTable(w642), nil)
	if err != nil {
		t.Fatalf("first push: %v", err)
	}
	// The first push is written at once...
	harness.Eventually(t, waitTimeout, func() error {
		if v, err := persistedVersion(c.Persist); err != nil || v != first.GetVersion() {
			return fmt.Errorf("persist file: version %d (%v), want %d", v, err, first.GetVersion())
		}
		return nil
	})
	// ...the second, a moment later, waits for the rest of the second, and
	// SIGTERM comes before that.
	resp, err := push(api, full, membersTable(w631), nil)
	if err != nil {
		t.Fatalf("second push: %v", err)
	}
	if code := c.Stop(); code != 0 {
		t.Errorf("coredns-gslb exited with status %d on SIGTERM, want 0", code)
	}
	if v, err := persistedVersion(c.Persist); err != nil || v != resp.GetVersion() {
		t.Errorf("after SIGTERM the persist file holds version %d (%v), want %d, the last pushed", v, err, resp.GetVersion())
	}
	c.Restart()
	st, err := c.Status()
	if err != nil {
		t.Fatal(err)
	}
	if st.GetVersion() != resp.GetVersion() {
		t.Errorf("after the restart: version %d, want %d (the last push)", st.GetVersion(), resp.GetVersion())
	}
	expectSplit(t, harness.Dial(t, c.Addr, "udp"), 1000, w631)
}

// persistedVersion reads the version of the table in a persist file. The
// file holds a gslb.v1.Snapshot (the API's own message for it) after a
// 20-byte header: the magic GSLBTBL1, a CRC-32C and the payload length.
func persistedVersion(path string) (uint32, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	const header = 8 + 4 + 8
	if len(b) < header || !bytes.Equal(b[:8], []byte("GSLBTBL1")) {
		return 0, fmt.Errorf("%s: not a persisted table (format changed? update this test)", path)
	}
	var s gslbv1.Snapshot
	if err := proto.Unmarshal(b[header:], &s); err != nil {
		return 0, fmt.Errorf("%s: %v", path, err)
	}
	return s.GetVersion(), nil
}

// (f) A malformed push is refused whole, with INVALID_ARGUMENT naming the
// record, and the table keeps serving unchanged; a DELTA against a version
// that is not the current one is refused with FAILED_PRECONDITION.
func TestMalformedPushRefused(t *testing.T) {
	t.Parallel()
	c := harness.StartCoreDNS(t, corefile, nil)
	api := c.TableClient()
	resp, err := push(api, &gslbv1.ApplyHeader{Kind: gslbv1.Kind_KIND_FULL}, membersTable(w642), nil)
	if err != nil {
		t.Fatalf("valid FULL push: %v", err)
	}
	version := resp.GetVersion()
	cl := harness.Dial(t, c.Addr, "udp")
	expectSplit(t, cl, 120, w642)

	badAddr := membersTable(w631)
	badAddr[0].Members[1].Address = "127.0.0.300"
	outside := append(membersTable(w631), &gslbv1.Record{
		Fqdn: "hello.example.com.", Members: []*gslbv1.Member{{Address: "127.0.0.14", Weight: 1}},
	})
	for _, tc := range []struct {
		name    string
		header  *gslbv1.ApplyHeader
		upserts []*gslbv1.Record
		code    codes.Code
		mention []string
	}{
		{"FULL with an invalid address", &gslbv1.ApplyHeader{Kind: gslbv1.Kind_KIND_FULL}, badAddr,
			codes.InvalidArgument, []string{"hello.avi.iberia.local", "127.0.0.300"}},
		{"FULL with a record outside the zone", &gslbv1.ApplyHeader{Kind: gslbv1.Kind_KIND_FULL}, outside,
			codes.InvalidArgument, []string{"hello.example.com"}},
		{"DELTA with an invalid address", &gslbv1.ApplyHeader{Kind: gslbv1.Kind_KIND_DELTA, BaseVersion: version}, badAddr[:1],
			codes.InvalidArgument, []string{"hello.avi.iberia.local", "127.0.0.300"}},
		{"DELTA on a wrong base version", &gslbv1.ApplyHeader{Kind: gslbv1.Kind_KIND_DELTA, BaseVersion: version - 1}, membersTable(w631)[:1],
			codes.FailedPrecondition, nil},
		{"FULL on a wrong base version", &gslbv1.ApplyHeader{Kind: gslbv1.Kind_KIND_FULL, BaseVersion: version + 1}, membersTable(w631),
			codes.FailedPrecondition, nil},
	} {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			_, err := push(api, tc.header, tc.upserts, nil)
			s, _ := status.FromError(err)
			if err == nil || s.Code() != tc.code {
				t.Fatalf("got %v, want code %v", err, tc.code)
			}
			for _, m := range tc.mention {
				if !strings.Contains(s.Message(), m) {
					t.Errorf("message %q does not name %q", s.Message(), m)
				}
			}
			t.Logf("refused: %v: %s", s.Code(), s.Message())
			st, err := c.Status()
			if err != nil {
				t.Fatal(err)
			}
			if st.GetVersion() != version || st.GetRecords() != 2 {
				t.Errorf("after the refused push: version %d with %d records, want %d with 2", st.GetVersion(), st.GetRecords(), version)
			}
			if s := soaSerial(t, c.Addr); s != version {
				t.Errorf("after the refused push: SOA serial %d, want %d", s, version)
			}
			expectSplit(t, cl, 120, w642)
		})
	}
	expectSplit(t, cl, 1200, w642)
	expectSplit(t, harness.Dial(t, c.Addr, "tcp"), 1200, w642)

	// The API still accepts a good DELTA on the right base afterwards.
	resp, err = push(api, &gslbv1.ApplyHeader{Kind: gslbv1.Kind_KIND_DELTA, BaseVersion: version}, membersTable(w631)[:1], nil)
	if err != nil {
		t.Fatalf("valid DELTA after the refusals: %v", err)
	}
	if resp.GetVersion() <= version || resp.GetRecords() != 2 {
		t.Errorf("valid DELTA: version %d with %d records, want a version above %d with 2", resp.GetVersion(), resp.GetRecords(), version)
	}
	expectSplit(t, cl, 1000, w631)
}

// (g) A members file that is invalid when the syncer starts: exit status 1
// and a message naming FILE:LINE on stderr. An invalid edit later is logged
// (FILE:LINE too) and the last good table keeps serving.
func TestSyncerInvalidFile(t *testing.T) {
	t.Parallel()
	// Each file is invalid at line 9 only.
	const head = `records:
  - fqdn: hello.avi.iberia.local
    ttl: 2
    members:
      - address: 127.0.0.11
        weight: 6
      - address: 127.0.0.12
        weight: 4
`
	bad := map[string]string{
		"weight not a number": head + "      - {address: 127.0.0.13, weight: lots}\n",
		"weight out of range": head + "      - {address: 127.0.0.13, weight: 100000}\n",
		"unknown key":         head + "      - {address: 127.0.0.13, wieght: 2}\n",
		"yaml syntax":         head + "      - {address: 127.0.0.13, weight: 2\n",
	}

	t.Run("at start-up", func(t *testing.T) {
		t.Parallel()
		c := harness.StartCoreDNS(t, corefile, nil)
		dir := t.TempDir()
		for name, content := range bad {
			t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
				path := dir + "/" + strings.ReplaceAll(name, " ", "-") + ".yaml"
				harness.WriteFile(t, path, content)
				s := harness.StartSyncer(t, "--source", "file:"+path, "--push", "unix://"+c.Sock)
				code := s.Wait(waitTimeout)
				stderr := s.Stderr()
				if code != 1 {
					t.Errorf("exit status %d, want 1; stderr:\n%s", code, stderr)
				}
				want := "gslb-syncer: " + path + ":9: "
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr does not name the line as %q:\n%s", want, stderr)
				}
			})
		}
		if st, err := c.Status(); err != nil || st.GetVersion() != 0 {
			t.Errorf("a table was pushed from an invalid file: %v (%v)", st, err)
		}
	})

	t.Run("edit", func(t *testing.T) {
		t.Parallel()
		st := startStack(t, w642)
		cl := harness.Dial(t, st.c.Addr, "udp")
		expectSplit(t, cl, 120, w642)
		version := st.start.GetVersion()
		for _, e := range []struct {
			name, content string
			line          int
		}{
			{"weight not a number", bad["weight not a number"], 9},
			// Two more lines first, so that this error is told apart from the last.
			{"yaml syntax", "# the e2e tests break this file\n#\n" + bad["yaml syntax"], 11},
		} {
			want := fmt.Sprintf("%s:%d", st.yaml, e.line)
			harness.WriteFile(t, st.yaml, e.content)
			harness.Eventually(t, waitTimeout, func() error {
				if st.s.Exited() {
					return harness.Permanent(errors.New("gslb-syncer exited: " + st.s.ExitText()))
				}
				if !strings.Contains(st.s.Log(), want) {
					return fmt.Errorf("gslb-syncer has not logged %q for the invalid edit (%s)", want, e.name)
				}
				return nil
			})
			expectSplit(t, cl, 1200, w642)
			if s := soaSerial(t, st.c.Addr); s != version {
				t.Errorf("after the invalid edit (%s): SOA serial %d, want %d", e.name, s, version)
			}
		}
		// A valid edit is served again.
		harness.WriteFile(t, st.yaml, membersYAML(w631))
		awaitSplit(t, cl, time.Now(), w631, 20, waitTimeout)
		expectSplit(t, cl, 1000, w631)
	})
}

// (h) The binary lists the plugin.
func TestPluginListed(t *testing.T) {
	t.Parallel()
	out, err := exec.Command(harness.Bin(t, "coredns-gslb"), "-plugins").CombinedOutput()
	if err != nil {
		t.Fatalf("coredns-gslb -plugins: %v\n%s", err, out)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if strings.TrimSpace(l) == "gslb" {
			return
		}
	}
	t.Errorf("coredns-gslb -plugins lists no gslb:\n%s", out)
}

// (i) /ready is 503 until the first push, then 200; before it, queries get
// SERVFAIL (a resolver would cache an NXDOMAIN for names about to exist),
// except the apex SOA and NS and the NS glue, which the Corefile defines.
// The gRPC socket is mode 0600 and is removed at shutdown.
func TestReadyAndSocket(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	yaml := dir + "/members.yaml"
	harness.WriteFile(t, yaml, membersYAML(w642))
	c := harness.StartCoreDNS(t, corefile, nil)
	ready := "http://" + c.HostPort("ready") + "/ready"

	checkSocket := func() {
		t.Helper()
		fi, err := os.Stat(c.Sock)
		if err != nil {
			t.Fatalf("gRPC socket: %v", err)
		}
		if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
			t.Errorf("gRPC socket %s has mode %v, want a socket with 0600", c.Sock, fi.Mode())
		}
	}
	checkSocket()

	code, body, err := harness.HTTPGet(ready)
	if err != nil || code != 503 {
		t.Errorf("/ready before the first push: %d %q (%v), want 503", code, body, err)
	}
	if !strings.Contains(body, "gslb") {
		t.Errorf("/ready before the first push does not name gslb as not ready: %q", body)
	}
	for _, proto := range []string{"udp", "tcp"} {
		if r := harness.Query(t, c.Addr, proto, hello, dns.TypeA); r.Rcode != dns.RcodeServerFailure {
			t.Errorf("hello over %s before the first push: %s, want SERVFAIL", proto, harness.Brief(r))
		}
		checkConfigAnswers(t, c.Addr, proto)
	}

	harness.StartSyncer(t, "--source", "file:"+yaml, "--push", "unix://"+c.Sock)
	harness.Eventually(t, loadTimeout, func() error {
		code, body, err := harness.HTTPGet(ready)
		if err != nil {
			return err
		}
		if code != 200 {
			return fmt.Errorf("/ready: %d %q", code, body)
		}
		return nil
	})
	expectSplit(t, harness.Dial(t, c.Addr, "udp"), 120, w642)
	checkSocket()

	if code := c.Stop(); code != 0 {
		t.Errorf("coredns-gslb exited with status %d on SIGTERM, want 0", code)
	}
	if _, err := os.Stat(c.Sock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("gRPC socket %s left behind after shutdown (%v)", c.Sock, err)
	}
}

// checkConfigAnswers checks what the Corefile alone answers, before any
// table: the apex SOA (serial 0) and NS with its glue; the apex's other
// types are SERVFAIL (a table may put a record there).
func checkConfigAnswers(t *testing.T, addr, proto string) {
	t.Helper()
	r := harness.Query(t, addr, proto, zone, dns.TypeSOA)
	if soa, ok := firstSOA(r); r.Rcode != dns.RcodeSuccess || !r.Authoritative || !ok || soa.Serial != 0 || soa.Ns != "g-dns.iberia.local." {
		t.Errorf("SOA over %s before the first push: %s, want NOERROR, aa, SOA g-dns.iberia.local. with serial 0", proto, harness.Brief(r))
	}
	r = harness.Query(t, addr, proto, zone, dns.TypeNS)
	if r.Rcode != dns.RcodeSuccess || !r.Authoritative || len(r.Answer) != 1 || len(r.Extra) != 1 ||
		!strings.Contains(r.Extra[0].String(), "127.0.0.1") {
		t.Errorf("NS over %s before the first push: %s, want NOERROR, aa, NS g-dns.iberia.local. with glue 127.0.0.1", proto, harness.Brief(r))
	}
	if r := harness.Query(t, addr, proto, zone, dns.TypeA); r.Rcode != dns.RcodeServerFailure {
		t.Errorf("A of the apex over %s before the first push: %s, want SERVFAIL", proto, harness.Brief(r))
	}
}
