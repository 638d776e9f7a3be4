package main

import (
	"crypto"
	"os"
	"path/filepath"

	"github.com/miekg/dns"
)

// gslbSigned is coredns-gslb gslb signing online with the dnssec plugin,
// as corefile-examples/dnssec runs it, asked with the DO bit (as validating
// resolvers ask): the cost of DNSSEC beside the unsigned "coredns-gslb gslb".
func gslbSigned(unsigned server) server {
	s := unsigned
	s.name = "coredns-gslb gslb dnssec"
	s.dnsperfArgs = []string{"-D"}
	prep := unsigned.prepare
	s.prepare = func(dir string, port int) ([]string, error) {
		if err := writeKey(filepath.Join(dir, "csk")); err != nil {
			return nil, err
		}
		return prep(dir, port)
	}
	return s
}

// dnssecStanza goes before gslb in the signed server's Corefile.
const dnssecStanza = "    dnssec {\n        key file DIR/csk\n    }\n"

// writeKey writes an ECDSA P-256 key signing key for the zone as
// dnssec-keygen would: base.key and base.private.
func writeKey(base string) error {
	k := &dns.DNSKEY{
		Hdr:       dns.RR_Header{Name: benchZone, Rrtype: dns.TypeDNSKEY, Class: dns.ClassINET, Ttl: 3600},
		Flags:     dns.ZONE | dns.SEP,
		Protocol:  3,
		Algorithm: dns.ECDSAP256SHA256,
	}
	priv, err := k.Generate(256)
	if err != nil {
		return err
	}
	if err := os.WriteFile(base+".key", []byte(k.String()+"\n"), 0o600); err != nil {
		return err
	}
	return os.WriteFile(base+".private", []byte(k.PrivateKeyString(priv.(crypto.PrivateKey))), 0o600)
}
