package main

import "github.com/gslbdns/gslb/syncer/gslbctl"

// gslbSigned is coredns-gslb gslb signing online with the dnssec plugin,
// as corefile-examples/dnssec runs it, asked with the DO bit (as validating
// resolvers ask): the cost of DNSSEC beside the unsigned "coredns-gslb gslb".
func gslbSigned(unsigned server) server {
	s := unsigned
	s.name = "coredns-gslb gslb dnssec"
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

// dnssecStanza goes before gslb in the signed server's Corefile.
const dnssecStanza = "    dnssec {\n        key file DIR/csk\n    }\n"
