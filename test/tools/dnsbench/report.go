package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

// format renders the results as markdown: per mix and mode, mean qps,
// latency and the ratio to whoami.
func format(results map[key][]result, all []server, mixes []mix, modes []string, rounds int, duration time.Duration, clients, n int) string {
	var sb strings.Builder
	host, _ := os.Hostname()
	fmt.Fprintf(&sb, "## dnsbench %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&sb, "Machine: %s, %d CPUs, %s. dnsperf -c %d -l %s -q 200, %d interleaved rounds, %d names in the table.\n",
		host, runtime.NumCPU(), cpuModel(), clients, duration, rounds, n)
	sb.WriteString("Pinned: server on CPU 0, dnsperf on CPU 1. Ratios are to `whoami` (the ceiling of any CoreDNS plugin) and to CoreDNS `file`, same mix, same mode.\n")
	sb.WriteString("CPU µs/query: the server's CPU time (user+system, from /proc) per query answered; qps per core is its inverse, which other load on the machine disturbs much less than qps.\n\n")
	for _, mode := range modes {
		for _, m := range mixes {
			fmt.Fprintf(&sb, "### %s, %s\n\n| server | qps | avg latency ms | lost | ÷ whoami | ÷ file | CPU µs/query | qps per core | per core ÷ whoami |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n", m.name, mode)
			mean := func(server string) (result, bool) { return meanOf(results[key{m.name, server, mode}]) }
			who, okW := mean("coredns-gslb whoami")
			file, okF := mean("coredns-gslb file")
			for _, s := range all {
				x, ok := mean(s.name)
				if !ok {
					continue
				}
				rw, rf := "", ""
				if okW {
					rw = fmt.Sprintf("%.2f", x.qps/who.qps)
				}
				if okF {
					rf = fmt.Sprintf("%.2f", x.qps/file.qps)
				}
				perCore, rc := "", ""
				if x.cpuPerQuery > 0 {
					perCore = fmt.Sprintf("%.0f", 1e6/x.cpuPerQuery)
					if okW && who.cpuPerQuery > 0 {
						rc = fmt.Sprintf("%.2f", who.cpuPerQuery/x.cpuPerQuery)
					}
				}
				fmt.Fprintf(&sb, "| %s | %.0f | %.3f | %d | %s | %s | %.1f | %s | %s |\n", s.name, x.qps, x.latency, x.lost, rw, rf, x.cpuPerQuery, perCore, rc)
			}
			sb.WriteString("\n")
		}
	}
	formatSigned(&sb, func(mix, server, mode string) (result, bool) { return meanOf(results[key{mix, server, mode}]) }, mixes, modes)
	formatECS(&sb, results, modes...)
	return sb.String()
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if strings.HasPrefix(s.Text(), "model name") {
			if _, v, ok := strings.Cut(s.Text(), ":"); ok {
				return strings.TrimSpace(v)
			}
		}
	}
	return runtime.GOARCH
}

// meanOf is the mean of the rounds of one server, mix and mode.
func meanOf(rs []result) (result, bool) {
	if len(rs) == 0 {
		return result{}, false
	}
	var x result
	for _, r := range rs {
		x.qps += r.qps / float64(len(rs))
		x.latency += r.latency / float64(len(rs))
		x.lost += r.lost
		x.cpuPerQuery += r.cpuPerQuery / float64(len(rs))
	}
	return x, true
}
