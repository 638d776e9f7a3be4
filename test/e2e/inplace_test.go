package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gslbdns/gslb/test/e2e/harness"

	"github.com/miekg/dns"
)

// inPlaceNames are the records of the members file the in-place tests
// rewrite: hello first, so that a file cut after its first record still
// parses and lacks the other three.
var inPlaceNames = []string{hello, static, "www.avi.iberia.local.", "api.avi.iberia.local."}

const inPlaceYAML = membersHeadYAML + `  - fqdn: test.avi.iberia.local
    members: [{address: 192.0.2.20}]
  - fqdn: www.avi.iberia.local
    members: [{address: 192.0.2.21}]
  - fqdn: api.avi.iberia.local
    members: [{address: 192.0.2.22}]
`

// membersHeadYAML is the file up to the end of its first record.
const membersHeadYAML = `records:
  - fqdn: hello.avi.iberia.local
    members:
      - {address: 127.0.0.11, weight: 6}
      - {address: 127.0.0.12, weight: 4}
`

// rewriteInPlace truncates the file and writes head, then, after between()
// returns, the rest: a writer caught half-way leaves a file that parses.
func rewriteInPlace(path, head, rest string, between func()) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.WriteString(head); err != nil {
		return err
	}
	between()
	_, err = f.WriteString(rest)
	return err
}

// rcodeCounter queries every name in turn from a few clients until stopped
// and counts the rcodes.
type rcodeCounter struct {
	mu     sync.Mutex
	counts map[int]int
	errs   int
	stop   chan struct{}
	wg     sync.WaitGroup
}

func startQueries(t *testing.T, addr string, clients int) *rcodeCounter {
	rc := &rcodeCounter{counts: map[int]int{}, stop: make(chan struct{})}
	for range clients {
		cl := harness.Dial(t, addr, "udp")
		rc.wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-rc.stop:
					return
				default:
				}
				r, err := cl.Exchange(inPlaceNames[i%len(inPlaceNames)], dns.TypeA)
				rc.mu.Lock()
				if err != nil {
					rc.errs++
				} else {
					rc.counts[r.Rcode]++
				}
				rc.mu.Unlock()
			}
		})
	}
	return rc
}

func (rc *rcodeCounter) finish() (counts map[int]int, errs int) {
	close(rc.stop)
	rc.wg.Wait()
	return rc.counts, rc.errs
}

// (issue 18, 1) A members file rewritten in place (truncate, then write),
// many times a second while clients query, never takes a record out: the
// syncer reads the file only once it is stable, and a half-written file that
// would remove most records is held back. 0 NXDOMAIN, 0 SERVFAIL. Then a
// real deletion of most records, written in place, applies after the hold.
func TestInPlaceRewrite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	yaml := filepath.Join(dir, "members.yaml")
	harness.WriteFile(t, yaml, inPlaceYAML)
	c := harness.StartCoreDNS(t, corefile, nil)
	s := harness.StartSyncer(t, "--source", "file:"+yaml, "--push", "unix://"+c.Sock)
	c.WaitLoaded(loadTimeout)
	rest := strings.TrimPrefix(inPlaceYAML, membersHeadYAML)

	rc := startQueries(t, c.Addr, 2)
	// Rewrites 20 ms apart, the second half 2 ms after the first.
	pause := func() { time.Sleep(2 * time.Millisecond) }
	for range 200 {
		if err := rewriteInPlace(yaml, membersHeadYAML, rest, pause); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A writer that stalls half-way for longer than the settle time: the
	// syncer reads the half-written file and holds it back (it would remove
	// 3 of 4 records); the writer finishes once the syncer has said so.
	var held error
	err := rewriteInPlace(yaml, membersHeadYAML, rest, func() {
		held = harness.Within(waitTimeout, func() error {
			if !strings.Contains(s.Log(), "would remove 3 of 4 records; held back") {
				return fmt.Errorf("the syncer has not held the half-written file back")
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if held != nil {
		t.Error(held)
	}
	counts, errs := rc.finish()
	total := errs
	for _, n := range counts {
		total += n
	}
	t.Logf("%d queries during the rewrites: %d NOERROR, %d NXDOMAIN, %d SERVFAIL, %d errors",
		total, counts[dns.RcodeSuccess], counts[dns.RcodeNameError], counts[dns.RcodeServerFailure], errs)
	if counts[dns.RcodeNameError] != 0 || counts[dns.RcodeServerFailure] != 0 || errs != 0 || counts[dns.RcodeSuccess] != total {
		t.Errorf("during the in-place rewrites: %v rcodes, %d errors; want NOERROR only", counts, errs)
	}
	if total < 100 {
		t.Errorf("only %d queries ran during the rewrites", total)
	}

	// A real deletion of 3 of the 4 records, written in place: held, then
	// applied once the file has been stable for the hold (2 s).
	start := time.Now()
	harness.WriteFile(t, yaml, membersHeadYAML)
	harness.Eventually(t, waitTimeout, func() error {
		for _, name := range inPlaceNames[1:] {
			if r := harness.Query(t, c.Addr, "udp", name, dns.TypeA); r.Rcode != dns.RcodeNameError {
				return fmt.Errorf("%s: %s, want NXDOMAIN", name, harness.Brief(r))
			}
		}
		return nil
	})
	if d := time.Since(start); d < 2*time.Second {
		t.Errorf("the deletion applied after %v, before the hold of 2s", d)
	}
	if r := harness.Query(t, c.Addr, "udp", hello, dns.TypeA); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
		t.Errorf("hello after the deletion: %s, want one A", harness.Brief(r))
	}
}
