package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"google.golang.org/protobuf/proto"
)

// Routing by who asks under load: queries carrying EDNS Client Subnet from
// many subnets, to a WRR name (the baseline), a TOPOLOGY name (a 1,000-network
// map) and a CONSISTENT_HASH name, all in coredns-gslb's table. dnsperf sends
// one ECS option per process (-E), so each subnet is one dnsperf process with
// one client; every ECS mix runs the same processes, so the ratios compare
// the algorithms alone.

// ecsSubnets is how many subnets (dnsperf processes) send queries at once.
const ecsSubnets = 10

// ecsMixes are the mixes of routing by who asks (coredns-gslb gslb only).
func ecsMixes(dir string) ([]mix, error) {
	var out []mix
	for _, m := range []struct{ name, qname string }{
		{"ecs-wrr", "hello"}, {"ecs-topology", "topo"}, {"ecs-hash", "hash"},
	} {
		p := filepath.Join(dir, m.name+".txt")
		if err := os.WriteFile(p, []byte(m.qname+".avi.iberia.local A\n"), 0o644); err != nil {
			return nil, err
		}
		out = append(out, mix{name: m.name, file: p, ecs: true})
	}
	return out, nil
}

// routedRecords are the TOPOLOGY and CONSISTENT_HASH names: hello's members
// in two sites, and a topology map of 1,000 /24s (10.0.0.0/24 … 10.3.231.0/24)
// split between the sites.
func routedRecords() []*gslbv1.Record {
	members := func() []*gslbv1.Member {
		return []*gslbv1.Member{
			{Address: "127.0.0.11", Weight: 6, Site: "SITE1"},
			{Address: "127.0.0.12", Weight: 4, Site: "SITE1"},
			{Address: "127.0.0.13", Weight: 2, Site: "SITE2"},
		}
	}
	rt := &gslbv1.Routing{SiteOrder: []string{"SITE1", "SITE2"}}
	for i := range 1000 {
		site := "SITE1"
		if i%2 == 1 {
			site = "SITE2"
		}
		rt.Topology = append(rt.Topology, &gslbv1.ClientNetwork{Cidr: fmt.Sprintf("10.%d.%d.0/24", i>>8, i&255), Site: site})
	}
	return []*gslbv1.Record{
		{Fqdn: "topo." + benchZone, Ttl: proto.Uint32(30), Algorithm: gslbv1.Algorithm_ALGORITHM_TOPOLOGY, Routing: rt, Members: members()},
		{Fqdn: "hash." + benchZone, Ttl: proto.Uint32(30), Algorithm: gslbv1.Algorithm_ALGORITHM_CONSISTENT_HASH, Members: members()},
	}
}

// ecsOption is dnsperf's -E value for the i-th subnet: code 8, family 1,
// source /24, scope 0, three address bytes (inside the topology map).
func ecsOption(i int) string {
	n := i * 97 % 1000
	return fmt.Sprintf("8:000118000a%02x%02x", n>>8, n&255)
}

// ecsSlices interleaves the ECS mixes: each runs this many slices of
// duration/ecsSlices, in turn, the order rotated every slice, so that a
// noisy neighbour and the position in the sequence hit them alike.
const ecsSlices = 3

// measureECS runs the ECS mixes, interleaved, and adds their means to res.
func measureECS(res map[string]result, addr string, port int, mixes []mix, cpu int, duration time.Duration) error {
	slice := max(duration/ecsSlices, time.Second)
	var ecs []mix
	for _, m := range mixes {
		if m.ecs {
			ecs = append(ecs, m)
		}
	}
	for k := range ecsSlices {
		for j := range ecs {
			m := ecs[(j+k)%len(ecs)]
			r, err := dnsperfECS(addr, port, m.file, cpu, slice)
			if err != nil {
				return err
			}
			x := res[m.name]
			x.qps += r.qps / ecsSlices
			x.latency += r.latency / ecsSlices
			x.lost += r.lost
			res[m.name] = x
		}
	}
	return nil
}

// dnsperfECS runs one dnsperf per subnet at once and sums their rates.
func dnsperfECS(addr string, port int, file string, cpu int, duration time.Duration) (result, error) {
	var (
		mu  sync.Mutex
		sum result
		wg  sync.WaitGroup
		bad error
	)
	for i := range ecsSubnets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			argv := []string{"dnsperf", "-s", "127.0.0.1", "-p", strconv.Itoa(port), "-d", file, "-c", "1",
				"-l", strconv.Itoa(int(duration.Seconds())), "-q", strconv.Itoa(200 / ecsSubnets), "-t", "2", "-E", ecsOption(i)}
			r, err := runDNSPerf(argv, addr, cpu)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				bad = err
				return
			}
			sum.qps += r.qps
			sum.latency += r.latency / ecsSubnets
			sum.lost += r.lost
		}()
	}
	wg.Wait()
	return sum, bad
}

// formatECS adds the ratios of the routed algorithms to WRR, same mode, same
// ECS queries.
func formatECS(sb *strings.Builder, results map[key][]result, modes ...string) {
	sb.WriteString("### routing by who asks (ECS from 10 subnets, coredns-gslb gslb)\n\n")
	sb.WriteString("| mode | wrr qps | topology qps | hash qps | topology ÷ wrr | hash ÷ wrr |\n|---|---:|---:|---:|---:|---:|\n")
	for _, mode := range modes {
		mean := func(m string) float64 {
			rs := results[key{m, "coredns-gslb gslb", mode}]
			x := 0.0
			for _, r := range rs {
				x += r.qps / float64(len(rs))
			}
			return x
		}
		w, tp, h := mean("ecs-wrr"), mean("ecs-topology"), mean("ecs-hash")
		if w == 0 {
			continue
		}
		fmt.Fprintf(sb, "| %s | %.0f | %.0f | %.0f | **%.2f** | **%.2f** |\n", mode, w, tp, h, tp/w, h/w)
	}
	sb.WriteString("\n")
}
