// Command dnsbench measures coredns-gslb against the ceiling of any CoreDNS
// plugin (whoami), stock CoreDNS file, and the fastest non-CoreDNS peers
// (gdnsd weighted, knot), with dnsperf on loopback, in one run, and reports
// ratios: the machines are shared and absolute numbers drift.
//
// Each server is pinned to CPU 0 and dnsperf to CPU 1 ("pinned"), then both
// run unpinned ("unpinned"); rounds are interleaved so that drift hits every
// server alike. Only 127.0.0.1 is used.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gslbdns/gslb/test/internal/testhost"
	"github.com/miekg/dns"
)

func main() {
	var (
		bin      = flag.String("bin", "bin", "directory holding coredns-gslb")
		repo     = flag.String("repo", ".", "the repository, for the shipped Corefiles")
		rounds   = flag.Int("rounds", 2, "interleaved rounds")
		duration = flag.Duration("duration", 10*time.Second, "dnsperf run length")
		clients  = flag.Int("clients", 10, "dnsperf -c")
		nNames   = flag.Int("names", 10_000, "distinct FQDNs in the table")
		out      = flag.String("out", "", "also write the results (markdown) to this file")
		only     = flag.String("only", "", "comma-separated server name prefixes to run (default: all)")
		profile  = flag.String("profile", "", "write CPU and allocation profiles of coredns-gslb under load to this directory")
		modes    = flag.String("modes", "pinned,unpinned", "comma-separated modes to run: pinned (server on CPU 0, dnsperf on CPU 1), unpinned")
	)
	flag.Parse()
	profileDir = *profile
	if err := run(*bin, *repo, *rounds, *duration, *clients, *nNames, *out, *only, strings.Split(*modes, ",")); err != nil {
		fmt.Fprintln(os.Stderr, "dnsbench:", err)
		os.Exit(1)
	}
}

// profileDir, when set, receives pprof profiles taken from servers that
// expose pprof (coredns-gslb gslb) during each mix of the first pinned round.
var profileDir string

type mix struct {
	name, file string
	ecs        bool // ECS queries to routed names: coredns-gslb gslb only (ecs.go)
}

type result struct {
	qps, latency float64 // latency in ms
	lost         int
	// cpuPerQuery is the server's CPU time (user and system, all threads)
	// per query answered, in µs: what a query costs a core, which the other
	// processes of a busy machine disturb far less than qps.
	cpuPerQuery float64
}

type key struct{ mix, server, mode string }

func run(bin, repo string, rounds int, duration time.Duration, clients, nNames int, out, only string, modeNames []string) error {
	for _, c := range []string{"dnsperf", "taskset", "gdnsd", "knotd"} {
		if _, err := exec.LookPath(c); err != nil {
			return fmt.Errorf("%s is not installed (make bench installs dnsperf, gdnsd and knot from Debian)", c)
		}
	}
	if runtime.NumCPU() < 2 {
		return fmt.Errorf("need 2 CPUs to pin the server and dnsperf apart, have %d", runtime.NumCPU())
	}
	work, err := os.MkdirTemp("", "dnsbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	names := benchNames{n: nNames}
	mixes, err := writeQueryFiles(work, nNames)
	if err != nil {
		return err
	}
	routed, err := ecsMixes(work)
	if err != nil {
		return err
	}
	mixes = append(mixes, routed...)
	all := servers(bin, repo, names)
	if only != "" {
		all = slices.DeleteFunc(all, func(s server) bool {
			for _, p := range strings.Split(only, ",") {
				if strings.HasPrefix(s.name, p) {
					return false
				}
			}
			return true
		})
	}

	results := map[key][]result{}
	type mode struct {
		name           string
		serverCPU, cpu int
	}
	var modes []mode
	for _, m := range modeNames {
		switch m {
		case "pinned":
			modes = append(modes, mode{"pinned", 0, 1})
		case "unpinned":
			modes = append(modes, mode{"unpinned", -1, -1})
		default:
			return fmt.Errorf("-modes: %q is neither pinned nor unpinned", m)
		}
	}
	for r := 1; r <= rounds; r++ {
		for _, mode := range modes {
			for _, s := range all {
				res, err := measure(work, s, mode.serverCPU, mode.cpu, mixes, duration, clients)
				if err != nil {
					return fmt.Errorf("%s: %v", s.name, err)
				}
				for m, x := range res {
					k := key{m, s.name, mode.name}
					results[k] = append(results[k], x)
					fmt.Fprintf(os.Stderr, "round %d %-8s %-22s %-9s %9.0f qps %6.3f ms lost %d cpu %.1f µs/query\n", r, mode.name, s.name, m, x.qps, x.latency, x.lost, x.cpuPerQuery)
				}
			}
		}
	}
	var modeList []string
	for _, m := range modes {
		modeList = append(modeList, m.name)
	}
	report := format(results, all, mixes, modeList, rounds, duration, clients, nNames)
	fmt.Print(report)
	if out != "" {
		return os.WriteFile(out, []byte(report), 0o644)
	}
	return nil
}

// measure starts one server, runs every mix against it, and stops it.
func measure(work string, s server, serverCPU, perfCPU int, mixes []mix, duration time.Duration, clients int) (map[string]result, error) {
	dir, err := os.MkdirTemp(work, "srv")
	if err != nil {
		return nil, err
	}
	port, err := testhost.FreePort()
	if err != nil {
		return nil, err
	}
	argv, err := s.prepare(dir, port)
	if err != nil {
		return nil, err
	}
	cmd := command(argv, serverCPU)
	logf, _ := os.Create(filepath.Join(dir, "server.log"))
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if err := waitAnswer(addr, "avi.iberia.local.", dns.TypeSOA, 30*time.Second); err != nil && s.load == nil {
		return nil, fmt.Errorf("not answering: %v\n%s", err, tail(filepath.Join(dir, "server.log")))
	}
	if s.load != nil {
		if err := s.load(dir); err != nil {
			return nil, fmt.Errorf("loading: %v\n%s", err, tail(filepath.Join(dir, "server.log")))
		}
	}
	if err := waitAnswer(addr, "hello.avi.iberia.local.", dns.TypeA, 30*time.Second); err != nil {
		return nil, fmt.Errorf("hello not answering: %v\n%s", err, tail(filepath.Join(dir, "server.log")))
	}
	res := map[string]result{}
	pprofAddr, _ := os.ReadFile(filepath.Join(dir, "pprof.addr"))
	for _, m := range mixes {
		if m.ecs {
			continue // below, interleaved
		}
		var profiled chan error
		if profileDir != "" && len(pprofAddr) > 0 && serverCPU >= 0 {
			profiled = make(chan error, 1)
			go func() { profiled <- takeProfiles(string(pprofAddr), s.name, m.name, duration) }()
		}
		cpu0, err := cpuTime(cmd.Process.Pid)
		if err != nil {
			return nil, err
		}
		r, err := dnsperf(addr, port, m.file, perfCPU, duration, clients, s.dnsperfArgs...)
		if err != nil {
			return nil, err
		}
		cpu1, err := cpuTime(cmd.Process.Pid)
		if err != nil {
			return nil, err
		}
		if n := r.qps * duration.Seconds(); n > 0 {
			r.cpuPerQuery = (cpu1 - cpu0).Seconds() * 1e6 / n
		}
		if profiled != nil {
			if err := <-profiled; err != nil {
				fmt.Fprintln(os.Stderr, "dnsbench: profile:", err)
			}
		}
		res[m.name] = r
	}
	if s.routed {
		if err := measureECS(res, addr, port, mixes, perfCPU, duration); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// takeProfiles fetches a CPU profile over most of the run, then an
// allocation profile, from a pprof endpoint.
func takeProfiles(addr, server, mixName string, d time.Duration) error {
	base := strings.NewReplacer(" ", "-").Replace(server) + "-" + mixName
	secs := max(int(d.Seconds())-2, 1)
	time.Sleep(time.Second) // let the load settle
	for _, p := range []struct{ path, file string }{
		{fmt.Sprintf("/debug/pprof/profile?seconds=%d", secs), base + ".cpu.pprof"},
		{"/debug/pprof/allocs", base + ".allocs.pprof"},
	} {
		resp, err := http.Get("http://" + addr + p.path)
		if err != nil {
			return err
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(profileDir, p.file), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// cpuTime returns the CPU time (user and system) a process has used, from
// /proc/PID/stat (fields 14 and 15, in clock ticks of 1/100 s on Linux).
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces: count from the ')'.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: utime %q stime %q", pid, f[11], f[12])
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}

var (
	reQPS  = regexp.MustCompile(`Queries per second:\s+([0-9.]+)`)
	reLat  = regexp.MustCompile(`Average Latency \(s\):\s+([0-9.]+)`)
	reLost = regexp.MustCompile(`Queries lost:\s+([0-9]+)`)
)

func dnsperf(addr string, port int, file string, cpu int, duration time.Duration, clients int, extra ...string) (result, error) {
	argv := []string{"dnsperf", "-s", "127.0.0.1", "-p", strconv.Itoa(port), "-d", file,
		"-c", strconv.Itoa(clients), "-l", strconv.Itoa(int(duration.Seconds())), "-q", "200", "-t", "2"}
	argv = append(argv, extra...)
	return runDNSPerf(argv, addr, cpu)
}

// runDNSPerf runs one dnsperf command line and reads its report.
func runDNSPerf(argv []string, addr string, cpu int) (result, error) {
	out, err := command(argv, cpu).CombinedOutput()
	if err != nil {
		return result{}, fmt.Errorf("dnsperf against %s: %v\n%s", addr, err, out)
	}
	var r result
	m := reQPS.FindSubmatch(out)
	if m == nil {
		return result{}, fmt.Errorf("dnsperf output without qps:\n%s", out)
	}
	r.qps, _ = strconv.ParseFloat(string(m[1]), 64)
	if m := reLat.FindSubmatch(out); m != nil {
		s, _ := strconv.ParseFloat(string(m[1]), 64)
		r.latency = s * 1000
	}
	if m := reLost.FindSubmatch(out); m != nil {
		r.lost, _ = strconv.Atoi(string(m[1]))
	}
	return r, nil
}

// writeQueryFiles writes the three query mixes.
func writeQueryFiles(dir string, n int) ([]mix, error) {
	write := func(name string, lines []string) (mix, error) {
		p := filepath.Join(dir, name+".txt")
		return mix{name: name, file: p}, os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	}
	var mixes []mix
	m, err := write("scenario", []string{"hello.avi.iberia.local A"})
	if err != nil {
		return nil, err
	}
	mixes = append(mixes, m)
	// 60% hello A, 20% hello AAAA (NODATA), 20% unknown names (NXDOMAIN).
	rng := rand.New(rand.NewPCG(1, 2))
	var lines []string
	for i := range 1000 {
		switch x := rng.IntN(10); {
		case x < 6:
			lines = append(lines, "hello.avi.iberia.local A")
		case x < 8:
			lines = append(lines, "hello.avi.iberia.local AAAA")
		default:
			lines = append(lines, fmt.Sprintf("nx-%d.avi.iberia.local A", i))
		}
	}
	if m, err = write("aaaa-nx", lines); err != nil {
		return nil, err
	}
	mixes = append(mixes, m)
	lines = lines[:0]
	for i := range n {
		lines = append(lines, appName(i)+".avi.iberia.local A")
	}
	rng.Shuffle(len(lines), func(i, j int) { lines[i], lines[j] = lines[j], lines[i] })
	if m, err = write(fmt.Sprintf("%dk-names", n/1000), lines); err != nil {
		return nil, err
	}
	return append(mixes, m), nil
}

func waitAnswer(addr, name string, qtype uint16, d time.Duration) error {
	c := &dns.Client{Timeout: 500 * time.Millisecond}
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	var last error
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		r, _, err := c.Exchange(m, addr)
		if err == nil && r.Rcode == dns.RcodeSuccess {
			return nil
		}
		last = err
		if err == nil {
			last = fmt.Errorf("rcode %s, %d answers", dns.RcodeToString[r.Rcode], len(r.Answer))
		}
	}
	return last
}

func tail(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	lines := strings.Split(string(b), "\n")
	return strings.Join(lines[max(0, len(lines)-20):], "\n")
}
