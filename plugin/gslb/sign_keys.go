package gslb

import (
	"crypto"
	"fmt"
	"os"
	"strings"

	"github.com/miekg/dns"
)

// zoneKey is one DNSSEC key of a zone: its public DNSKEY (published at the
// apex) and the private key that signs.
type zoneKey struct {
	pub  *dns.DNSKEY
	priv crypto.Signer
	tag  uint16
	file string // without extension, for messages
}

// keySet holds the keys of one zone. Every key is published in the DNSKEY
// RRset. Keys with the SEP flag (257, KSKs) sign the DNSKEY RRset; the
// others (256, ZSKs) sign every other RRset; a zone with KSKs only (a
// combined signing key, as `dnssec-keygen -f KSK` makes) signs everything
// with them. Every listed key of a role signs (double signatures), which is
// what a pre-publish-free rollover needs: see README, *DNSSEC*.
type keySet struct {
	zone string
	keys []zoneKey
	ksk  []int // indexes into keys that sign the DNSKEY RRset
	zsk  []int // indexes that sign the rest
}

// readKey reads a BIND key pair: base.key (the public DNSKEY) and
// base.private, the format of dnssec-keygen, of CoreDNS's dnssec plugin and
// of `gslbctl dnssec-key`. base may end in .key or .private.
func readKey(base string) (zoneKey, error) {
	base = strings.TrimSuffix(strings.TrimSuffix(base, ".key"), ".private")
	pubFile, privFile := base+".key", base+".private"
	b, err := os.ReadFile(pubFile)
	if err != nil {
		return zoneKey{}, err
	}
	rr, err := dns.NewRR(string(b))
	if err != nil {
		return zoneKey{}, fmt.Errorf("%s: %v", pubFile, err)
	}
	pub, ok := rr.(*dns.DNSKEY)
	if !ok {
		return zoneKey{}, fmt.Errorf("%s: holds a %s record, not a DNSKEY", pubFile, dns.TypeToString[rr.Header().Rrtype])
	}
	f, err := os.Open(privFile)
	if err != nil {
		return zoneKey{}, err
	}
	defer f.Close()
	pk, err := pub.ReadPrivateKey(f, privFile)
	if err != nil {
		return zoneKey{}, fmt.Errorf("%s: %v", privFile, err)
	}
	signer, ok := pk.(crypto.Signer)
	if !ok {
		return zoneKey{}, fmt.Errorf("%s: algorithm %d cannot sign", privFile, pub.Algorithm)
	}
	pub.Hdr.Name = dns.CanonicalName(pub.Hdr.Name)
	return zoneKey{pub: pub, priv: signer, tag: pub.KeyTag(), file: base}, nil
}

// newKeySet groups keys of one zone by role.
func newKeySet(zone string, keys []zoneKey) *keySet {
	ks := &keySet{zone: zone, keys: keys}
	for i, k := range keys {
		if k.pub.Flags&dns.SEP != 0 {
			ks.ksk = append(ks.ksk, i)
		} else {
			ks.zsk = append(ks.zsk, i)
		}
	}
	if len(ks.zsk) == 0 {
		ks.zsk = ks.ksk // combined signing keys
	}
	if len(ks.ksk) == 0 {
		ks.ksk = ks.zsk // ZSKs only: they sign the DNSKEY RRset too
	}
	return ks
}

// sigWindow is the validity of the signatures made at one moment.
type sigWindow struct {
	inception, expiration uint32
}

// sign returns the RRSIGs of rrset (all of one owner, type and class, owner
// canonical) by the keys of the role, with ttl as their original TTL.
func (ks *keySet) sign(rrset []dns.RR, ttl uint32, win sigWindow, dnskey bool) ([]dns.RR, error) {
	role := ks.zsk
	if dnskey {
		role = ks.ksk
	}
	h := rrset[0].Header()
	sigs := make([]dns.RR, 0, len(role))
	for _, i := range role {
		k := ks.keys[i]
		sig := &dns.RRSIG{
			Hdr:        dns.RR_Header{Name: h.Name, Rrtype: dns.TypeRRSIG, Class: dns.ClassINET, Ttl: ttl},
			OrigTtl:    ttl,
			Algorithm:  k.pub.Algorithm,
			KeyTag:     k.tag,
			SignerName: ks.zone,
			Inception:  win.inception,
			Expiration: win.expiration,
		}
		sig.TypeCovered, sig.Labels = h.Rrtype, uint8(dns.CountLabel(h.Name))
		ok, err := signFast(sig, k.priv, rrset)
		if !ok && err == nil {
			err = sig.Sign(k.priv, rrset)
		}
		if err != nil {
			return nil, fmt.Errorf("signing %s %s with %s: %v", h.Name, dns.TypeToString[h.Rrtype], k.file, err)
		}
		sigs = append(sigs, sig)
	}
	return sigs, nil
}

// dnskeys returns the DNSKEY RRset of the zone with the given TTL.
func (ks *keySet) dnskeys(ttl uint32) []dns.RR {
	out := make([]dns.RR, len(ks.keys))
	for i, k := range ks.keys {
		c := *k.pub
		c.Hdr.Name, c.Hdr.Ttl = ks.zone, ttl
		out[i] = &c
	}
	return out
}
