// Package e2e runs the real binaries (bin/coredns-gslb, bin/gslb-syncer) on
// loopback and checks the data path end to end: what a resolver asking the
// GSLB name server gets, and how that follows the members file.
package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/test/e2e/harness"

	"github.com/miekg/dns"
	"google.golang.org/protobuf/proto"
)

// The scenario (see corefile-examples/demo): the zone, its GSLB name, its
// static record.
const (
	zone     = "avi.iberia.local."
	hello    = "hello.avi.iberia.local."
	static   = "test.avi.iberia.local."
	staticIP = "192.0.2.20"
	helloTTL = 2
)

// members are hello's three members, in file order: s1az1, s1az2, s2.
var members = []string{"127.0.0.11", "127.0.0.12", "127.0.0.13"}

// Generous deadlines for a loaded machine. They bound waits for things that
// have no latency promise; the 1 s propagation promise is asserted apart.
const (
	loadTimeout = 30 * time.Second // first push after the syncer starts
	waitTimeout = 30 * time.Second
)

// loadSlack is what a busy 2-core machine (other tests and builds running)
// may add to a probe cycle and a push: the slack of the health tests' "within
// interval × fall" bounds. Below it they would race the machine; the measured
// times are logged, and their figures belong in benchmarks.
const loadSlack = 3 * time.Second

// propagationLimit is the promise: a saved edit of the members file is
// answered within a second.
const propagationLimit = time.Second

// corefile is the demo's server block on test ports and paths.
const corefile = `avi.iberia.local:{{port "dns"}} {
    bind 127.0.0.1
    gslb {
        soa g-dns.iberia.local. hostmaster.iberia.local. refresh 10800 retry 3600 expire 86400 minimum 30
        ns g-dns.iberia.local. 127.0.0.1
        ttl 30
        listen unix://{{.Sock}}
        persist {{.Persist}}
    }
    ready 127.0.0.1:{{port "ready"}}
    errors
}
`

// membersYAML is the demo's members file with hello's weights set.
func membersYAML(w [3]uint32) string {
	return fmt.Sprintf(`# written by the e2e tests
records:
  - fqdn: hello.avi.iberia.local
    ttl: 2
    algorithm: wrr
    members:
      - {cluster: s1az1, site: site1, address: 127.0.0.11, weight: %d}
      - {cluster: s1az2, site: site1, address: 127.0.0.12, weight: %d}
      - {cluster: s2,    site: site2, address: 127.0.0.13, weight: %d}
  - fqdn: test.avi.iberia.local
    ttl: 300
    members:
      - {address: 192.0.2.20}
`, w[0], w[1], w[2])
}

// membersTable is membersYAML as the records of a gRPC push.
func membersTable(w [3]uint32) []*gslbv1.Record {
	return []*gslbv1.Record{
		{
			Fqdn: hello, Ttl: proto.Uint32(helloTTL), Algorithm: gslbv1.Algorithm_ALGORITHM_WRR,
			Members: []*gslbv1.Member{
				{Cluster: "s1az1", Site: "site1", Address: members[0], Weight: w[0]},
				{Cluster: "s1az2", Site: "site1", Address: members[1], Weight: w[1]},
				{Cluster: "s2", Site: "site2", Address: members[2], Weight: w[2]},
			},
		},
		{Fqdn: static, Ttl: proto.Uint32(300), Members: []*gslbv1.Member{{Address: staticIP, Weight: 1}}},
	}
}

var (
	w642 = [3]uint32{6, 4, 2}
	w631 = [3]uint32{6, 3, 1}
)

// stack is a coredns-gslb fed by a gslb-syncer from a members file.
type stack struct {
	c     *harness.CoreDNS
	s     *harness.Syncer
	yaml  string // the members file
	dir   string
	start *gslbv1.StatusResponse // status after the first push
}

// startStack starts coredns-gslb and a syncer on a members file with hello
// weighted w, and waits until the first table is served.
func startStack(t *testing.T, w [3]uint32) *stack {
	t.Helper()
	return startStackYAML(t, membersYAML(w))
}

// startStackYAML is startStack on the members file yaml.
func startStackYAML(t *testing.T, yaml string) *stack {
	t.Helper()
	st := &stack{dir: t.TempDir()}
	st.yaml = filepath.Join(st.dir, "members.yaml")
	harness.WriteFile(t, st.yaml, yaml)
	st.c = harness.StartCoreDNS(t, corefile, nil)
	st.startSyncer(t)
	st.start = st.c.WaitLoaded(loadTimeout)
	return st
}

func (st *stack) startSyncer(t *testing.T) {
	t.Helper()
	st.s = harness.StartSyncer(t, "--source", "file:"+st.yaml, "--push", "unix://"+st.c.Sock)
}

// cycleOf divides the weights by their GCD: the counts of one WRR cycle,
// and its length.
func cycleOf(w [3]uint32) (cycle [3]int, length int) {
	g := uint32(0)
	for _, x := range w {
		g = gcd(g, x)
	}
	for i, x := range w {
		cycle[i] = int(x / g)
		length += cycle[i]
	}
	return cycle, length
}

func gcd(a, b uint32) uint32 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// memberIndex returns the index of a member address, or -1.
func memberIndex(ip string) int { return slices.Index(members, ip) }

// helloAnswer checks one answer for hello: NOERROR, AA, exactly one A record
// for hello with the record's TTL, one of the members. It returns the
// member's index.
func helloAnswer(r *dns.Msg) (int, error) {
	ip, ttl, err := harness.OneA(r)
	if err != nil {
		return -1, err
	}
	if got := r.Answer[0].Header().Name; !strings.EqualFold(got, hello) {
		return -1, fmt.Errorf("answer owner %q, want %q", got, hello)
	}
	if ttl != helloTTL {
		return -1, fmt.Errorf("TTL %d, want %d: %s", ttl, helloTTL, harness.Brief(r))
	}
	i := memberIndex(ip.String())
	if i < 0 {
		return -1, fmt.Errorf("answer %s is not a member (%v)", ip, members)
	}
	return i, nil
}

// querySplit sends n queries for hello A over cl and returns the member
// index of each answer, failing the test on any wrong answer.
func querySplit(t *testing.T, cl *harness.Client, n int) []int {
	t.Helper()
	seq := make([]int, 0, n)
	for i := range n {
		r, err := cl.Exchange(hello, dns.TypeA)
		if err != nil {
			t.Fatalf("query %d of %d: %v", i+1, n, err)
		}
		m, err := helloAnswer(r)
		if err != nil {
			t.Fatalf("query %d of %d: %v", i+1, n, err)
		}
		seq = append(seq, m)
	}
	return seq
}

func countOf(seq []int) [3]int {
	var c [3]int
	for _, m := range seq {
		c[m]++
	}
	return c
}

// expectSplit sends n queries (a multiple of the cycle) for hello over cl and
// checks that the counts are exactly n/cycle times the weights, and that
// every run of cycle consecutive answers holds each member exactly its
// (reduced) weight times: smooth WRR is exact over any whole cycle, wherever
// it starts.
func expectSplit(t *testing.T, cl *harness.Client, n int, w [3]uint32) {
	t.Helper()
	cycle, length := cycleOf(w)
	if n%length != 0 {
		t.Fatalf("test bug: %d queries is not a multiple of the cycle %d", n, length)
	}
	seq := querySplit(t, cl, n)
	got := countOf(seq)
	want := [3]int{cycle[0] * n / length, cycle[1] * n / length, cycle[2] * n / length}
	if got != want {
		t.Fatalf("%d queries over %s: counts %v for %v, want exactly %v (weights %v)", n, cl.Proto, got, members, want, w)
	}
	for i := 0; i+length <= len(seq); i++ {
		if c := countOf(seq[i : i+length]); c != cycle {
			t.Fatalf("%s: answers %d..%d hold %v, want %v in every %d consecutive answers", cl.Proto, i+1, i+length, c, cycle, length)
		}
	}
	t.Logf("%d queries over %s: %s %d, %s %d, %s %d (weights %d:%d:%d)", n, cl.Proto,
		members[0], got[0], members[1], got[1], members[2], got[2], w[0], w[1], w[2])
}

// awaitSplit queries hello as fast as it can, one query at a time, until the
// last window answers hold exactly window/cycle times the weights w, and
// returns the time from since to that moment. The caller picks window so
// that no run of window answers of the previous schedule can match (a longer
// window than the new cycle: the old schedule can look like a new cycle over
// a short one). The time includes the window's own queries after the switch,
// so it is an upper bound of the propagation.
func awaitSplit(t *testing.T, cl *harness.Client, since time.Time, w [3]uint32, window int, timeout time.Duration) time.Duration {
	t.Helper()
	cycle, length := cycleOf(w)
	if window%length != 0 {
		t.Fatalf("test bug: window %d is not a multiple of the cycle %d", window, length)
	}
	want := [3]int{cycle[0] * window / length, cycle[1] * window / length, cycle[2] * window / length}
	ring := make([]int, 0, window)
	var last [3]int
	for n := 1; ; n++ {
		r, err := cl.Exchange(hello, dns.TypeA)
		if err != nil {
			t.Fatalf("query %d after the edit: %v", n, err)
		}
		m, err := helloAnswer(r)
		if err != nil {
			t.Fatalf("query %d after the edit: %v", n, err)
		}
		if len(ring) == window {
			ring = ring[1:]
		}
		ring = append(ring, m)
		if len(ring) == window {
			if last = countOf(ring); last == want {
				return time.Since(since)
			}
		}
		if time.Since(since) > timeout {
			t.Fatalf("weights %v not answered after %v (%d queries; the last %d answers hold %v, want %v)",
				w, timeout, n, window, last, want)
		}
	}
}

// soaSerial asks for the apex SOA and returns its serial (the table version).
func soaSerial(t *testing.T, addr string) uint32 {
	t.Helper()
	r := harness.Query(t, addr, "udp", zone, dns.TypeSOA)
	if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
		t.Fatalf("SOA query: %s", harness.Brief(r))
	}
	soa, ok := r.Answer[0].(*dns.SOA)
	if !ok {
		t.Fatalf("SOA query: %s", harness.Brief(r))
	}
	return soa.Serial
}

// push sends one Apply over the Table API and returns the response.
func push(cl gslbv1.TableClient, h *gslbv1.ApplyHeader, upserts []*gslbv1.Record, deletes []string) (*gslbv1.ApplyResponse, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := cl.Apply(ctx)
	if err != nil {
		return nil, err
	}
	if err := stream.Send(&gslbv1.ApplyChunk{Header: h, Upserts: upserts, Deletes: deletes}); err != nil {
		return nil, err
	}
	return stream.CloseAndRecv()
}
