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
	buf, err := sigHeader(buf, sig)
	if err != nil {
		return true, err
	}
	wires := make([][]byte, len(rrset))
	rdata := make([]int, len(rrset)) // where each RR's RDATA starts
	for i, rr := range rrset {
		w := make([]byte, dns.Len(rr)+16)
		n, err := dns.PackRR(rr, w, 0, nil, false)
		if err != nil {
			return true, err
		}
		w = w[:n]
		name := nameLen(w)
		binary.BigEndian.PutUint32(w[name+4:], sig.OrigTtl)
		wires[i], rdata[i] = w, name+10
	}
	if len(wires) > 1 { // canonical order: by RDATA (RFC 4034 6.3)
		idx := make([]int, len(wires))
		for i := range idx {
			idx[i] = i
		}
		slices.SortFunc(idx, func(a, b int) int { return bytes.Compare(wires[a][rdata[a]:], wires[b][rdata[b]:]) })
		sorted := make([][]byte, len(wires))
		for i, j := range idx {
			sorted[i] = wires[j]
		}
		wires = sorted
	}
	for i, w := range wires {
		if i > 0 && bytes.Equal(w, wires[i-1]) {
			continue // duplicates count once
		}
		buf = append(buf, w...)
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
		r, s, err := ecdsa.Sign(rand.Reader, key, digest)
		if err != nil {
			return true, err
		}
		n := (key.Curve.Params().BitSize + 7) / 8
		out = make([]byte, 2*n)
		r.FillBytes(out[:n])
		s.FillBytes(out[n:])
	case ed25519.PrivateKey:
		out = ed25519.Sign(key, buf)
	default:
		return false, nil
	}
	sig.Signature = base64.StdEncoding.EncodeToString(out)
	return true, nil
}

// sigHeader appends the RRSIG RDATA without its signature.
func sigHeader(buf []byte, sig *dns.RRSIG) ([]byte, error) {
	buf = binary.BigEndian.AppendUint16(buf, sig.TypeCovered)
	buf = append(buf, sig.Algorithm, sig.Labels)
	buf = binary.BigEndian.AppendUint32(buf, sig.OrigTtl)
	buf = binary.BigEndian.AppendUint32(buf, sig.Expiration)
	buf = binary.BigEndian.AppendUint32(buf, sig.Inception)
	buf = binary.BigEndian.AppendUint16(buf, sig.KeyTag)
	name := make([]byte, 256)
	n, err := dns.PackDomainName(dns.CanonicalName(sig.SignerName), name, 0, nil, false)
	if err != nil {
		return nil, err
	}
	return append(buf, name[:n]...), nil
}

// nameLen is the length of the uncompressed name at the start of w.
func nameLen(w []byte) int {
	i := 0
	for i < len(w) && w[i] != 0 {
		i += int(w[i]) + 1
	}
	return i + 1
}
