package health

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
)

// The CPU cost of probing: BenchmarkProbeCPU probes 10,000 members (10
// records of 1,000 members on 1,000 loopback addresses; each record has its
// own Host header, so each member is a target of its own) every 5 s over
// HTTP, for 20 s after a first round, and reports the prober's CPU time
// (getrusage of this process) per second and per probe. The HTTP servers
// run in a child process (this test binary again), so their CPU is not
// counted; it is reported apart.
//
//	go test -run '^$' -bench ProbeCPU -benchtime 1x ./syncer/health
//
// GSLB_PROBE_BENCH_SECONDS changes the measured time.

const (
	benchRecords   = 10
	benchAddresses = 1000
	benchInterval  = 5 * time.Second
	benchServeEnv  = "GSLB_PROBE_BENCH_SERVE" // "PORT": be the bench's servers
)

func TestMain(m *testing.M) {
	if port := os.Getenv(benchServeEnv); port != "" {
		benchServe(port)
		return
	}
	os.Exit(m.Run())
}

// benchAddress is the i-th loopback address of the bench: 127.88.x.y.
func benchAddress(i int) string { return fmt.Sprintf("127.88.%d.%d", i/250, i%250+1) }

// benchServe listens on every bench address and answers a small page, until
// SIGTERM; it prints "ready" once listening.
func benchServe(port string) {
	page := []byte("<h1>This service resides in BENCH</h1>\n")
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(page) })
	for i := range benchAddresses {
		ln, err := net.Listen("tcp", net.JoinHostPort(benchAddress(i), port))
		if err != nil {
			fmt.Println("listen:", err)
			os.Exit(1)
		}
		go (&http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}).Serve(ln)
	}
	fmt.Println("ready")
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	<-ctx.Done()
}

func cpuSplit() (user, sys time.Duration) {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkProbeCPU(b *testing.B) {
	seconds := 20
	if s := os.Getenv("GSLB_PROBE_BENCH_SECONDS"); s != "" {
		seconds, _ = strconv.Atoi(s)
	}
	measure := time.Duration(seconds) * time.Second

	// A port free on the first address is taken on all of them.
	l, err := net.Listen("tcp", benchAddress(0)+":0")
	if err != nil {
		b.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), benchServeEnv+"="+strconv.Itoa(port))
	child.Stderr = os.Stderr
	out, err := child.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := child.Start(); err != nil {
		b.Fatal(err)
	}
	defer child.Process.Kill()
	line, _ := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != "ready" {
		b.Fatalf("the servers did not start: %q", line)
	}
	go io.Copy(io.Discard, out)

	check := Check{Type: TypeHTTP, Port: uint16(port), Interval: benchInterval, Timeout: time.Second, BodyContains: "resides"}
	var recs []*gslbv1.Record
	for r := range benchRecords {
		fqdn := fmt.Sprintf("bench%d.avi.iberia.local.", r)
		c := check.WithDefaults(fqdn)
		rec := &gslbv1.Record{Fqdn: fqdn}
		pc := c.Proto()
		for i := range benchAddresses {
			rec.Members = append(rec.Members, &gslbv1.Member{Address: benchAddress(i), Weight: 1, Check: pc})
		}
		recs = append(recs, rec)
	}
	targets := benchRecords * benchAddresses

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := New(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	p.Update(recs)
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.Run(ctx, func(Table) {})
	}()
	// The first round (every target at once), then a full interval for the
	// schedules to settle.
	wctx, wcancel := context.WithTimeout(ctx, time.Minute)
	if s, err := p.WaitFor(wctx, func(s Stats) bool { return s.Probes >= uint64(targets) }); err != nil {
		b.Fatalf("first round: %v (%+v)", err, s)
	}
	wcancel()
	time.Sleep(benchInterval)

	b.ResetTimer()
	s0, cpu0, t0 := p.Stats(), cpuTime(), time.Now()
	u0, k0 := cpuSplit()
	time.Sleep(measure)
	s1, cpu1, wall := p.Stats(), cpuTime(), time.Since(t0)
	u1, k1 := cpuSplit()
	b.StopTimer()
	cancel()
	<-done
	child.Process.Signal(syscall.SIGTERM)
	child.Wait()

	probes := s1.Probes - s0.Probes
	failures := s1.Failures - s0.Failures
	cpu := cpu1 - cpu0
	var serverCPU time.Duration
	if st := child.ProcessState; st != nil {
		serverCPU = st.UserTime() + st.SystemTime()
	}
	b.ReportMetric(100*cpu.Seconds()/wall.Seconds(), "%cpu")
	b.ReportMetric(float64(cpu.Microseconds())/float64(probes), "µs-cpu/probe")
	b.ReportMetric(float64(probes)/wall.Seconds(), "probes/s")
	b.Logf("%d %s targets every %v: %d probes in %v (%.0f/s, %d failed), prober CPU %v = %.1f%% of one core, %.0f µs per probe; "+
		"user %v, system %v; the servers (another process, whole run) used %v",
		targets, check.Type, benchInterval, probes, wall.Round(time.Millisecond), float64(probes)/wall.Seconds(), failures,
		cpu.Round(time.Millisecond), 100*cpu.Seconds()/wall.Seconds(), float64(cpu.Microseconds())/float64(probes), (u1 - u0).Round(time.Millisecond), (k1 - k0).Round(time.Millisecond), serverCPU.Round(time.Millisecond))
	if failures > 0 {
		b.Errorf("%d probes failed", failures)
	}
	if want := float64(targets) / benchInterval.Seconds(); float64(probes)/wall.Seconds() < 0.9*want {
		b.Errorf("%.0f probes/s, want about %.0f: the schedule slipped", float64(probes)/wall.Seconds(), want)
	}
}
