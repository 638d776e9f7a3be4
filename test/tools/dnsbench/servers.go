package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/test/internal/testhost"
	"google.golang.org/protobuf/proto"
)

const benchZone = "avi.iberia.local."

// benchNames is the table every server serves: the scenario's hello with
// three weighted members, and n more names with three members each.
type benchNames struct{ n int }

func (b benchNames) members(i int) [3]string {
	if i < 0 { // hello
		return [3]string{"127.0.0.11", "127.0.0.12", "127.0.0.13"}
	}
	return [3]string{
		fmt.Sprintf("127.1.%d.%d", i>>8&255, i&255),
		fmt.Sprintf("127.2.%d.%d", i>>8&255, i&255),
		fmt.Sprintf("127.3.%d.%d", i>>8&255, i&255),
	}
}

func appName(i int) string { return fmt.Sprintf("app-%d", i) }

func (b benchNames) records() []*gslbv1.Record {
	weights := [3]uint32{6, 4, 2}
	mk := func(label string, i int) *gslbv1.Record {
		r := &gslbv1.Record{Fqdn: label + "." + benchZone, Ttl: proto.Uint32(30)}
		for k, a := range b.members(i) {
			r.Members = append(r.Members, &gslbv1.Member{Address: a, Weight: weights[k]})
		}
		return r
	}
	recs := []*gslbv1.Record{mk("hello", -1)}
	for i := range b.n {
		recs = append(recs, mk(appName(i), i))
	}
	return recs
}

// zoneFile is the same names as a static zone: every member is an A record
// (a static server answers all three; there is no split to choose).
func (b benchNames) zoneFile() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "$ORIGIN %s\n$TTL 30\n", benchZone)
	sb.WriteString("@ IN SOA g-dns.iberia.local. hostmaster.iberia.local. 1 10800 3600 86400 30\n")
	sb.WriteString("@ IN NS g-dns.iberia.local.\n")
	for _, a := range b.members(-1) {
		fmt.Fprintf(&sb, "hello IN A %s\n", a)
	}
	for i := range b.n {
		for _, a := range b.members(i) {
			fmt.Fprintf(&sb, "%s IN A %s\n", appName(i), a)
		}
	}
	return sb.String()
}

// server is one DNS server under test.
type server struct {
	name string
	// prepare writes the configuration into dir and returns the command
	// line that serves on 127.0.0.1:port.
	prepare func(dir string, port int) ([]string, error)
	// load is run once the server answers (the gslb table push).
	load func(dir string) error
	// routed: the server holds the names routed by who asks (ecs.go).
	routed bool
	// dnsperfArgs are added to dnsperf's command line (-D: the DO bit).
	dnsperfArgs []string
}

func coreDNS(bin, name, body string, load func(dir string) error) server {
	return server{
		name: name,
		prepare: func(dir string, port int) ([]string, error) {
			corefile := fmt.Sprintf("%s:%d {\n    bind 127.0.0.1\n%s\n}\n", benchZone, port, body)
			if strings.Contains(body, "whoami") {
				corefile = fmt.Sprintf(".:%d {\n    bind 127.0.0.1\n%s\n}\n", port, body)
			}
			corefile = strings.ReplaceAll(corefile, "DIR", dir)
			if strings.Contains(corefile, "METRICS") {
				mp, err := testhost.FreePort()
				if err != nil {
					return nil, err
				}
				corefile = strings.ReplaceAll(corefile, "METRICS", fmt.Sprint(mp))
			}
			if strings.Contains(corefile, "PPROF") {
				pp, err := testhost.FreePort()
				if err != nil {
					return nil, err
				}
				corefile = strings.ReplaceAll(corefile, "PPROF", fmt.Sprint(pp))
				os.WriteFile(filepath.Join(dir, "pprof.addr"), []byte(fmt.Sprintf("127.0.0.1:%d", pp)), 0o600)
			}
			p := filepath.Join(dir, "Corefile")
			return []string{bin, "-conf", p, "-quiet"}, os.WriteFile(p, []byte(corefile), 0o600)
		},
		load: load,
	}
}

// gslbBody is the server block of coredns-gslb gslb.
const gslbBody = `    gslb {
        soa g-dns.iberia.local. hostmaster.iberia.local.
        ns g-dns.iberia.local. 127.0.0.1
        listen unix://DIR/gslb.sock
    }
    pprof 127.0.0.1:PPROF`

// servers lists the servers in the order of the report: the shipped
// Corefiles first (what users run), then gslb alone and signed, the whoami
// ceiling with and without a metrics plugin, file, gdnsd and knot.
func servers(bin, repo string, names benchNames) []server {
	coredns := filepath.Join(bin, "coredns-gslb")
	push := func(dir string) error {
		_, err := pushTable(filepath.Join(dir, "gslb.sock"), names.records())
		return err
	}
	var out []server
	for _, sc := range shippedCorefiles() {
		out = append(out, shipped(coredns, repo, sc, "", nil, push))
		if sc.name == "helm" {
			out = append(out, shipped(coredns, repo, sc, " (stock prometheus)", withStockPrometheus, push))
			out = append(out, goStackStart(shipped(coredns, repo, sc, "", nil, push)))
		}
	}
	gslb := coreDNS(coredns, "coredns-gslb gslb", gslbBody, func(dir string) error {
		_, err := pushTable(filepath.Join(dir, "gslb.sock"), append(names.records(), routedRecords()...))
		return err
	})
	gslb.routed = true
	signed := gslbSigned(coreDNS(coredns, "", presignedBody, push), signedName)
	online := gslbSigned(coreDNS(coredns, "", dnssecStanza+gslbBody, push), onlineName)
	whoami := coreDNS(coredns, "coredns-gslb whoami", "    whoami", nil)
	whoamiGoStack := goStackStart(coreDNS(coredns, "coredns-gslb whoami", "    whoami", nil))
	whoamiProm := coreDNS(coredns, "coredns-gslb whoami+prometheus", "    whoami\n    prometheus 127.0.0.1:METRICS", nil)
	whoamiMet := coreDNS(coredns, "coredns-gslb whoami+gslbmetrics", "    whoami\n    gslbmetrics 127.0.0.1:METRICS", nil)
	file := coreDNS(coredns, "coredns-gslb file", "    file DIR/db.zone", nil)
	filePrep := file.prepare
	file.prepare = func(dir string, port int) ([]string, error) {
		if err := os.WriteFile(filepath.Join(dir, "db.zone"), []byte(names.zoneFile()), 0o600); err != nil {
			return nil, err
		}
		return filePrep(dir, port)
	}
	return append(out, gslb, signed, online, whoami, whoamiGoStack, whoamiProm, whoamiMet, file, gdnsd(names), knot(names))
}

// gdnsd serves hello with its `weighted` plugin (one address per answer, by
// weight) and the other names from the zone file.
func gdnsd(names benchNames) server {
	return server{
		name: "gdnsd weighted",
		prepare: func(dir string, port int) ([]string, error) {
			if err := os.MkdirAll(filepath.Join(dir, "zones"), 0o755); err != nil {
				return nil, err
			}
			m := names.members(-1)
			cfg := fmt.Sprintf(`options => {
  listen => [ 127.0.0.1:%d ]
  run_dir => %s/run
  state_dir => %s/state
  udp_threads => 1
  tcp_threads => 1
}
plugins => {
  weighted => {
    multi = false
    hello => {
      s1az1 = [ %s, 6 ]
      s1az2 = [ %s, 4 ]
      s2 = [ %s, 2 ]
    }
  }
}
`, port, dir, dir, m[0], m[1], m[2])
			if err := os.WriteFile(filepath.Join(dir, "config"), []byte(cfg), 0o644); err != nil {
				return nil, err
			}
			zone := strings.Replace(names.zoneFile(), "hello IN A "+m[0]+"\nhello IN A "+m[1]+"\nhello IN A "+m[2]+"\n",
				"hello 30 DYNA weighted!hello\n", 1)
			if err := os.WriteFile(filepath.Join(dir, "zones", strings.TrimSuffix(benchZone, ".")), []byte(zone), 0o644); err != nil {
				return nil, err
			}
			return []string{"gdnsd", "-c", dir, "-f", "start"}, nil
		},
	}
}

// knot serves the zone file statically.
func knot(names benchNames) server {
	return server{
		name: "knot (static)",
		prepare: func(dir string, port int) ([]string, error) {
			zf := filepath.Join(dir, "db.zone")
			if err := os.WriteFile(zf, []byte(names.zoneFile()), 0o644); err != nil {
				return nil, err
			}
			cfg := fmt.Sprintf(`server:
    listen: 127.0.0.1@%d
    rundir: %s
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: %s
log:
  - target: stderr
    any: warning
zone:
  - domain: %s
    file: %s
    zonefile-sync: -1
    journal-content: none
`, port, dir, dir, benchZone, zf)
			p := filepath.Join(dir, "knot.conf")
			return []string{"knotd", "-c", p}, os.WriteFile(p, []byte(cfg), 0o644)
		},
	}
}

// command builds the exec.Cmd, pinned to a CPU when cpu >= 0.
func command(argv []string, cpu int) *exec.Cmd {
	if cpu >= 0 {
		argv = append([]string{"taskset", "-c", fmt.Sprint(cpu)}, argv...)
	}
	return exec.Command(argv[0], argv[1:]...)
}

// goStackStart is s with Go's default goroutine stack start (-stack-start 0),
// as coredns-gslb ran before it held 8 KiB and as stock CoreDNS runs: every
// query's goroutine grows its stack.
func goStackStart(s server) server {
	prepare := s.prepare
	s.name += " (Go's stack start)"
	s.prepare = func(dir string, port int) ([]string, error) {
		args, err := prepare(dir, port)
		return append(args, "-stack-start", "0"), err
	}
	return s
}
