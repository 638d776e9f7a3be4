package gslbctl

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/miekg/dns"
)

// DNSSECKey makes an ECDSA P-256 key (algorithm 13) for zone, flagged as a
// key signing key (257, a combined signing key for CoreDNS's dnssec plugin),
// and writes it as dnssec-keygen would: BASE.key (public, 0644) and
// BASE.private (0600), where BASE is dir/name. Existing files are not
// overwritten. It returns the DS record (SHA-256) for the parent zone.
func DNSSECKey(zone, dir, name string) (*dns.DS, error) {
	k := &dns.DNSKEY{
		Hdr:       dns.RR_Header{Name: dns.CanonicalName(zone), Rrtype: dns.TypeDNSKEY, Class: dns.ClassINET, Ttl: 3600},
		Flags:     dns.ZONE | dns.SEP,
		Protocol:  3,
		Algorithm: dns.ECDSAP256SHA256,
	}
	priv, err := k.Generate(256)
	if err != nil {
		return nil, err
	}
	base := filepath.Join(dir, name)
	if err := writeNew(base+".private", k.PrivateKeyString(priv), 0o600); err != nil {
		return nil, err
	}
	if err := writeNew(base+".key", k.String()+"\n", 0o644); err != nil {
		os.Remove(base + ".private")
		return nil, err
	}
	return k.ToDS(dns.SHA256), nil
}

// writeNew creates path with the text; it fails if the file exists.
func writeNew(path, text string, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("dnssec key: %w", err)
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return fmt.Errorf("dnssec key: %s: %w", path, err)
	}
	return f.Close()
}
