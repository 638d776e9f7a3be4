package e2e

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gslbdns/gslb/syncer/filesource"
	"github.com/gslbdns/gslb/test/e2e/harness"
)

// fileScaleRecords is the size of BenchmarkSyncerFile's members file.
const fileScaleRecords = 100_000

// fileScaleCorefile serves the zone from the pushed table only (no persist
// file, so that the plugin's side stays out of the measured time).
const fileScaleCorefile = `avi.iberia.local:{{port "dns"}} {
    bind 127.0.0.1
    gslb {
        soa g-dns.iberia.local. hostmaster.iberia.local. refresh 10800 retry 3600 expire 86400 minimum 30
        ns g-dns.iberia.local. 127.0.0.1
        listen unix://{{.Sock}}
    }
}
`

// BenchmarkSyncerFile measures the real gslb-syncer reading a generated
// members file of 100,000 records × 3 members (filesource.WriteMembers, the
// demo's shape, 29 MB) and pushing it to a real coredns-gslb: the time from
// the syncer's start to the plugin serving all the records (s/first-push;
// s-CPU/first-push is the syncer's CPU time until then, which a busy
// machine disturbs less) and the syncer's peak RSS (MB-peak-RSS, VmHWM of /proc/PID/status, read
// once the table is served) and RSS then (MB-RSS). With GSLB_SYNCER_BASE
// set to another gslb-syncer binary (e.g. one built from main), that one is
// measured too, in the same run, as the sub-benchmark "base":
//
//	make build && GSLB_BIN=$PWD/bin go test -run '^$' -bench SyncerFile -benchtime 1x ./test/e2e
func BenchmarkSyncerFile(b *testing.B) {
	path := filepath.Join(b.TempDir(), "members.yaml")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := filesource.WriteMembers(f, fileScaleRecords, "avi.iberia.local"); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	// A file written a minute ago, as a deployed one: a file modified just
	// before it is read is read again at the next poll (its stat could
	// hide a change, see filesource's racyWindow), a second copy in memory.
	old := time.Now().Add(-time.Minute)
	if err := os.Chtimes(path, old, old); err != nil {
		b.Fatal(err)
	}
	bins := [][2]string{{"this", harness.Bin(b, "gslb-syncer")}}
	if base := os.Getenv("GSLB_SYNCER_BASE"); base != "" {
		bins = append([][2]string{{"base", base}}, bins...)
	}
	for _, bin := range bins {
		b.Run(bin[0], func(b *testing.B) {
			var last fileScaleResult
			for range b.N {
				last = syncerFileOnce(b, bin[1], path)
			}
			b.ReportMetric(last.firstPush.Seconds(), "s/first-push")
			b.ReportMetric(last.cpu.Seconds(), "s-CPU/first-push")
			b.ReportMetric(last.peakMB, "MB-peak-RSS")
			b.ReportMetric(last.rssMB, "MB-RSS")
		})
	}
}

type fileScaleResult struct {
	firstPush     time.Duration
	cpu           time.Duration // of the syncer, user and system, until then
	peakMB, rssMB float64
}

// syncerFileOnce starts a coredns-gslb and the syncer at bin on the file at
// path, and measures the syncer until the plugin serves every record.
func syncerFileOnce(b *testing.B, bin, path string) fileScaleResult {
	b.StopTimer()
	defer b.StartTimer()
	c := harness.StartCoreDNS(b, fileScaleCorefile, nil)
	start := time.Now()
	s := harness.StartProcess(b, harness.Cmd{Name: "gslb-syncer", Path: bin,
		Args: []string{"--source", "file:" + path, "--push", "unix://" + c.Sock}})
	harness.Eventually(b, 5*time.Minute, func() error {
		if s.Exited() {
			return harness.Permanent(fmt.Errorf("gslb-syncer exited: %s", s.Tail(20)))
		}
		st, err := c.Status()
		if err != nil {
			return err
		}
		if st.GetRecords() != fileScaleRecords {
			return fmt.Errorf("the plugin serves %d records, want %d", st.GetRecords(), fileScaleRecords)
		}
		return nil
	})
	r := fileScaleResult{firstPush: time.Since(start)}
	status := procStatus(b, s.Pid())
	r.peakMB, r.rssMB = status["VmHWM"]/1e3, status["VmRSS"]/1e3
	r.cpu = procCPU(b, s.Pid())
	b.Logf("%s: first push after %v (%v of CPU), peak RSS %.0f MB, RSS %.0f MB", bin, r.firstPush.Round(time.Millisecond), r.cpu, r.peakMB, r.rssMB)
	s.Stop()
	c.Stop()
	return r
}

// procStatus reads the sizes of /proc/PID/status (VmHWM, VmRSS...), given
// there in KiB, as kB (thousands of bytes).
func procStatus(b *testing.B, pid int) map[string]float64 {
	b.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		fields := strings.Fields(v)
		if !ok || len(fields) != 2 || fields[1] != "kB" {
			continue
		}
		n, err := strconv.ParseFloat(fields[0], 64)
		if err == nil {
			out[k] = n * 1024 / 1e3
		}
	}
	if out["VmHWM"] == 0 {
		b.Fatalf("no VmHWM in /proc/%d/status", pid)
	}
	return out
}

// procCPU reads the user and system CPU time of a process from
// /proc/PID/stat (in clock ticks of 1/100 s, as on every Linux platform Go
// supports).
func procCPU(b *testing.B, pid int) time.Duration {
	b.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// The fields after the command name, which is in parentheses: utime
	// and stime are the 12th and 13th of them.
	_, rest, _ := strings.Cut(string(data), ") ")
	f := strings.Fields(rest)
	if len(f) < 13 {
		b.Fatalf("/proc/%d/stat: %q", pid, data)
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			b.Fatalf("/proc/%d/stat: %q", pid, data)
		}
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}
