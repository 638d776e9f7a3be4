package main

import (
	"fmt"
	"strings"

	"github.com/gslbdns/gslb/syncer/gslbctl"
)

// The signed rows, asked with the DO bit (as validating resolvers ask), beside
// the unsigned "coredns-gslb gslb":
//   - "coredns-gslb gslb signed": gslb's own `dnssec` option, answers signed
//     when the table is applied (corefile-examples/dnssec);
//   - "coredns-gslb gslb dnssec online": CoreDNS's dnssec plugin in front,
//     signing as answers pass (what corefile-examples/dnssec did before).
const (
	signedName = "coredns-gslb gslb signed"
	onlineName = "coredns-gslb gslb dnssec online"
)

// gslbSigned gives an unsigned server a key in its directory, and asks it
// with DO.
func gslbSigned(unsigned server, name string) server {
	s := unsigned
	s.name = name
	s.dnsperfArgs = []string{"-D"}
	prep := unsigned.prepare
	s.prepare = func(dir string, port int) ([]string, error) {
		if _, err := gslbctl.DNSSECKey(benchZone, dir, "csk"); err != nil {
			return nil, err
		}
		return prep(dir, port)
	}
	return s
}

// dnssecStanza goes before gslb in the online-signed server's Corefile.
const dnssecStanza = "    dnssec {\n        key file DIR/csk\n    }\n"

// presignedBody is gslbBody with the zone signed by gslb.
var presignedBody = strings.Replace(gslbBody, "        listen unix://DIR/gslb.sock\n",
	"        listen unix://DIR/gslb.sock\n        dnssec DIR/csk\n", 1)

// formatSigned writes signed ÷ unsigned per mix and mode (qps, and per core).
func formatSigned(sb *strings.Builder, mean func(mix, server, mode string) (result, bool), mixes []mix, modes []string) {
	sb.WriteString("### DNSSEC: signed ÷ unsigned (asked with DO ÷ without)\n\n| mix | mode | pre-signed qps | per core | online qps | per core |\n|---|---|---:|---:|---:|---:|\n")
	for _, mode := range modes {
		for _, m := range mixes {
			u, ok := mean(m.name, "coredns-gslb gslb", mode)
			if !ok {
				continue
			}
			cells := []string{m.name, mode}
			if _, ok := mean(m.name, signedName, mode); !ok {
				continue // a mix the signed servers are not asked (ECS)
			}
			for _, name := range []string{signedName, onlineName} {
				s, ok := mean(m.name, name, mode)
				switch {
				case !ok:
					cells = append(cells, "", "")
				case s.cpuPerQuery > 0 && u.cpuPerQuery > 0:
					cells = append(cells, fmt.Sprintf("%.2f", s.qps/u.qps), fmt.Sprintf("%.2f", u.cpuPerQuery/s.cpuPerQuery))
				default:
					cells = append(cells, fmt.Sprintf("%.2f", s.qps/u.qps), "")
				}
			}
			sb.WriteString("| " + strings.Join(cells, " | ") + " |\n")
		}
	}
	sb.WriteString("\n")
}
