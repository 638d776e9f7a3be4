package gslb

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"slices"

	"github.com/miekg/dns"
)

// signFast fills sig.Signature for rrset, building the signed data of RFC
// 4034 section 3.1.8.1 directly. It exists because a table is signed whole
// when applied (hundreds of thousands of RRsets): miekg/dns's RRSIG.Sign
// copies every RR and allocates a 4 KiB buffer per call, which costs about
// as much as the signature itself. Every name here is already canonical
// (lower case: the table's names, the zone, the Corefile's names), so the
// RRs are packed as they are, with the original TTL written over theirs.
// It reports false for an algorithm it does not handle (RSA): the caller
// falls back to RRSIG.Sign.
func signFast(sig *dns.RRSIG, k crypto.Signer, rrset []dns.RR) (bool, error) {
	switch sig.Algorithm {
	case dns.ECDSAP256SHA256, dns.ECDSAP384SHA384, dns.ED25519:
	default:
		return false, nil
	}
	buf := make([]byte, 0, 512)
	buf = sigHeader(buf, sig)
	// Each RR at its offset in wire, uncompressed, with the original TTL.
	var wire [1024]byte
	w := wire[:0]
	type span struct{ start, rdata, end int }
	var spansArr [8]span
	spans := spansArr[:0]
	for _, rr := range rrset {
		need := len(w) + dns.Len(rr) + 16
		if need > cap(w) {
			w = slices.Grow(w, need-len(w))
		}
		start := len(w)
		n, err := dns.PackRR(rr, w[:cap(w)], start, nil, false)
		if err != nil {
			return true, err
		}
		w = w[:n]
		name := start + nameLen(w[start:])
		binary.BigEndian.PutUint32(w[name+4:], sig.OrigTtl)
		spans = append(spans, span{start, name + 10, n})
	}
	// Canonical order: by RDATA (RFC 4034 6.3); duplicates count once.
	slices.SortFunc(spans, func(a, b span) int { return bytes.Compare(w[a.rdata:a.end], w[b.rdata:b.end]) })
	for i, sp := range spans {
		if i > 0 && bytes.Equal(w[sp.start:sp.end], w[spans[i-1].start:spans[i-1].end]) {
			continue
		}
		buf = append(buf, w[sp.start:sp.end]...)
	}
	var out []byte
	switch key := k.(type) {
	case *ecdsa.PrivateKey:
		var digest []byte
		if sig.Algorithm == dns.ECDSAP384SHA384 {
			d := sha512.Sum384(buf)
			digest = d[:]
		} else {
			d := sha256.Sum256(buf)
			digest = d[:]
		}
		der, err := ecdsa.SignASN1(rand.Reader, key, digest)
		if err != nil {
			return true, err
		}
		if out = derToRS(der, (key.Curve.Params().BitSize+7)/8); out == nil {
			return true, errors.New("ECDSA signature: unexpected encoding")
		}
	case ed25519.PrivateKey:
		out = ed25519.Sign(key, buf)
	default:
		return false, nil
	}
	sig.Signature = base64.StdEncoding.EncodeToString(out)
	return true, nil
}

// derToRS converts an ASN.1 DER ECDSA signature, SEQUENCE { r INTEGER, s
// INTEGER }, to r || s of n bytes each (RFC 6605), or nil.
func derToRS(der []byte, n int) []byte {
	if len(der) < 2 || der[0] != 0x30 || int(der[1]) != len(der)-2 { // P-256 and P-384: short form
		return nil
	}
	out := make([]byte, 2*n)
	rest := der[2:]
	for i := range 2 {
		if len(rest) < 2 || rest[0] != 0x02 || int(rest[1]) > len(rest)-2 {
			return nil
		}
		v := rest[2 : 2+int(rest[1])]
		rest = rest[2+int(rest[1]):]
		for len(v) > 0 && v[0] == 0 {
			v = v[1:]
		}
		if len(v) > n {
			return nil
		}
		copy(out[(i+1)*n-len(v):(i+1)*n], v)
	}
	return out
}

// sigHeader appends the RRSIG RDATA without its signature. The signer
// name is the zone: canonical, never compressed.
func sigHeader(buf []byte, sig *dns.RRSIG) []byte {
	buf = binary.BigEndian.AppendUint16(buf, sig.TypeCovered)
	buf = append(buf, sig.Algorithm, sig.Labels)
	buf = binary.BigEndian.AppendUint32(buf, sig.OrigTtl)
	buf = binary.BigEndian.AppendUint32(buf, sig.Expiration)
	buf = binary.BigEndian.AppendUint32(buf, sig.Inception)
	buf = binary.BigEndian.AppendUint16(buf, sig.KeyTag)
	var name [256]byte
	n, _ := dns.PackDomainName(sig.SignerName, name[:], 0, nil, false)
	return append(buf, name[:n]...)
}

// nameLen is the length of the uncompressed name at the start of w.
func nameLen(w []byte) int {
	i := 0
	for i < len(w) && w[i] != 0 {
		i += int(w[i]) + 1
	}
	return i + 1
}
