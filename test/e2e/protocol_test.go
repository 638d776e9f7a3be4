package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/gslbdns/gslb/test/e2e/harness"

	"github.com/miekg/dns"
)

// Zone transfers and NOTIFY through the real server: AXFR and IXFR are
// REFUSED, NOTIFY gets NOTIMP; none carries a record, moves the round robin
// or is counted in the gslb metrics.
func TestTransferAndNotify(t *testing.T) {
	t.Parallel()
	c := startWithMetrics(t, "gslbmetrics")

	for _, proto := range []string{"tcp", "udp"} {
		for range 3 {
			expectRcode(t, c.Addr, proto, xfrRequest(dns.TypeAXFR), dns.RcodeRefused)
			expectRcode(t, c.Addr, proto, xfrRequest(dns.TypeIXFR), dns.RcodeRefused)
			expectRcode(t, c.Addr, proto, notifyRequest(hello, dns.TypeA), dns.RcodeNotImplemented)
			expectRcode(t, c.Addr, proto, notifyRequest(zone, dns.TypeSOA), dns.RcodeNotImplemented)
		}
	}

	// One query: the first pick of 6:4:2 is the first member, and it is
	// the only answer and request counted.
	if m, err := helloAnswer(harness.Query(t, c.Addr, "udp", hello, dns.TypeA)); err != nil || m != 0 {
		t.Fatalf("first query after the transfers and NOTIFYs: member %d (%v), want 0: the round robin moved", m, err)
	}
	page, err := scrapeMetrics("http://" + c.HostPort("metrics") + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	for _, prefix := range []string{"coredns_gslb_requests_total{", "coredns_gslb_answers_total{"} {
		if got := metricLines(page, prefix); len(got) != 1 || !strings.HasSuffix(got[0], " 1") {
			t.Errorf("%s… series with a count: %q, want one, counting the one query", prefix, got)
		}
	}
}

// With the transfer plugin in the server block, AXFR and IXFR go to it: here
// it transfers the zone file that serves the zone's static names.
func TestTransferHandedToTransferPlugin(t *testing.T) {
	t.Parallel()
	db := filepath.Join(harness.RepoRoot(t), "corefile-examples", "static-fallthrough", "db.avi.iberia.local")
	corefileXfr := `avi.iberia.local:{{port "dns"}} {
    bind 127.0.0.1
    gslb {
        soa g-dns.iberia.local. hostmaster.iberia.local.
        listen unix://{{.Sock}}
        fallthrough
    }
    file ` + db + `
    transfer {
        to *
    }
}
`
	c := harness.StartCoreDNS(t, corefileXfr, nil)
	tr := new(dns.Transfer)
	env, err := tr.In(xfrRequest(dns.TypeAXFR), c.Addr)
	if err != nil {
		t.Fatal(err)
	}
	var rrs []string
	for e := range env {
		if e.Error != nil {
			t.Fatalf("AXFR: %v", e.Error)
		}
		for _, rr := range e.RR {
			rrs = append(rrs, dns.TypeToString[rr.Header().Rrtype]+" "+rr.Header().Name)
		}
	}
	// SOA, the file's NS, A and CNAME, SOA: the file's zone, nothing of gslb's.
	want := "SOA avi.iberia.local., NS avi.iberia.local., A test.avi.iberia.local., CNAME www.avi.iberia.local., SOA avi.iberia.local."
	if got := strings.Join(rrs, ", "); got != want {
		t.Errorf("AXFR through the transfer plugin: %s\nwant %s", got, want)
	}
	// NOTIFY is still not a query.
	expectRcode(t, c.Addr, "udp", notifyRequest(zone, dns.TypeSOA), dns.RcodeNotImplemented)
}

func xfrRequest(qtype uint16) *dns.Msg {
	m := new(dns.Msg)
	if qtype == dns.TypeIXFR {
		m.SetIxfr(zone, 1, "g-dns.iberia.local.", "hostmaster.iberia.local.")
		return m
	}
	m.SetAxfr(zone)
	return m
}

func notifyRequest(name string, qtype uint16) *dns.Msg {
	m := new(dns.Msg)
	m.SetNotify(name)
	m.Question[0].Qtype = qtype
	return m
}

// expectRcode sends m over proto and checks the reply: the rcode, and no
// record in any section.
func expectRcode(t *testing.T, addr, proto string, m *dns.Msg, rcode int) {
	t.Helper()
	cl := &dns.Client{Net: proto, Timeout: harness.QueryTimeout}
	r, _, err := cl.Exchange(m.Copy(), addr)
	if err != nil {
		t.Fatalf("%s %s %s over %s: %v", dns.OpcodeToString[m.Opcode], dns.TypeToString[m.Question[0].Qtype], m.Question[0].Name, proto, err)
	}
	if r.Rcode != rcode || len(r.Answer)+len(r.Ns) > 0 || r.Opcode != m.Opcode {
		t.Errorf("%s %s %s over %s: %s (opcode %s), want %s and no records", dns.OpcodeToString[m.Opcode], dns.TypeToString[m.Question[0].Qtype],
			m.Question[0].Name, proto, harness.Brief(r), dns.OpcodeToString[r.Opcode], dns.RcodeToString[rcode])
	}
}

// metricLines returns the lines of a /metrics page that start with prefix.
func metricLines(page, prefix string) []string {
	var out []string
	for line := range strings.SplitSeq(page, "\n") {
		if strings.HasPrefix(line, prefix) && !strings.HasSuffix(line, " 0") {
			out = append(out, line)
		}
	}
	return out
}

// startWithMetrics starts coredns-gslb with plugin (gslbmetrics or prometheus) on port
// "metrics" and a syncer serving hello 6:4:2, and waits for the table.
func startWithMetrics(t *testing.T, plugin string) *harness.CoreDNS {
	t.Helper()
	corefileMetrics := `avi.iberia.local:{{port "dns"}} {
    bind 127.0.0.1
    gslb {
        soa g-dns.iberia.local. hostmaster.iberia.local.
        listen unix://{{.Sock}}
    }
    ` + plugin + ` 127.0.0.1:{{port "metrics"}}
}
`
	c := harness.StartCoreDNS(t, corefileMetrics, nil)
	yaml := filepath.Join(t.TempDir(), "members.yaml")
	harness.WriteFile(t, yaml, membersYAML(w642))
	harness.StartSyncer(t, "--source", "file:"+yaml, "--push", "unix://"+c.Sock)
	c.WaitLoaded(loadTimeout)
	return c
}
