package gslb

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"

	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"
)

// writeTestKey makes an ECDSA P-256 key of zone in dir as dnssec-keygen
// would (flags 257: KSK, 256: ZSK) and returns its path without extension.
func writeTestKey(t testing.TB, dir, name string, flags uint16) (string, *dns.DNSKEY) {
	return writeTestKeyAlg(t, dir, name, flags, dns.ECDSAP256SHA256, 256)
}

func writeTestKeyAlg(t testing.TB, dir, name string, flags uint16, alg uint8, bits int) (string, *dns.DNSKEY) {
	t.Helper()
	k := &dns.DNSKEY{Hdr: dns.RR_Header{Name: zone, Rrtype: dns.TypeDNSKEY, Class: dns.ClassINET, Ttl: 3600},
		Flags: flags, Protocol: 3, Algorithm: alg}
	priv, err := k.Generate(bits)
	if err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(dir, name)
	if err := os.WriteFile(base+".key", []byte(k.String()+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(base+".private", []byte(k.PrivateKeyString(priv)), 0o600); err != nil {
		t.Fatal(err)
	}
	return base, k
}

// newSignedGSLB is newTestGSLB with the zone signed by keys.
func newSignedGSLB(t testing.TB, cfg *config, keys ...string) (*GSLB, *zoneSigner) {
	t.Helper()
	cfg.sign = signConfig{keys: keys, validity: defaultValidity}
	g := newTestGSLB(t, cfg, nil)
	ss, err := newSigners(g, cfg)
	if err != nil {
		t.Fatal(err)
	}
	g.feed.addSigner(ss[0])
	return g, ss[0]
}

func doQuery(name string, qtype uint16) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.SetEdns0(1232, true)
	return m
}

// verifySection checks that every RRset of rrs is signed by key and that
// the signatures verify; it returns the RRsets' types.
func verifySection(t *testing.T, what string, rrs []dns.RR, keys map[uint16]*dns.DNSKEY, now time.Time) []uint16 {
	t.Helper()
	sets := map[string][]dns.RR{}
	var sigs []*dns.RRSIG
	for _, rr := range rrs {
		if s, ok := rr.(*dns.RRSIG); ok {
			sigs = append(sigs, s)
			continue
		}
		k := strings.ToLower(rr.Header().Name) + "/" + dns.TypeToString[rr.Header().Rrtype]
		sets[k] = append(sets[k], rr)
	}
	var types []uint16
	for k, set := range sets {
		ok := false
		for _, s := range sigs {
			if strings.ToLower(s.Hdr.Name)+"/"+dns.TypeToString[s.TypeCovered] != k {
				continue
			}
			key := keys[s.KeyTag]
			if key == nil {
				t.Errorf("%s: %s signed by unknown key %d", what, k, s.KeyTag)
				continue
			}
			if err := s.Verify(key, set); err != nil {
				t.Errorf("%s: %s: RRSIG by %d does not verify: %v", what, k, s.KeyTag, err)
			}
			if !s.ValidityPeriod(now) {
				t.Errorf("%s: %s: RRSIG not valid at %v", what, k, now)
			}
			ok = true
		}
		if !ok {
			t.Errorf("%s: %s has no RRSIG", what, k)
		}
		types = append(types, set[0].Header().Rrtype)
	}
	return types
}

// canonLess orders names as RFC 4034 6.1 does (independently of canonKey).
func canonLess(a, b string) bool {
	la, lb := dns.SplitDomainName(strings.ToLower(a)), dns.SplitDomainName(strings.ToLower(b))
	for i := 1; i <= len(la) && i <= len(lb); i++ {
		x, y := la[len(la)-i], lb[len(lb)-i]
		if x != y {
			return x < y
		}
	}
	return len(la) < len(lb)
}

// covers reports whether an NSEC proves name does not exist.
func covers(n *dns.NSEC, name string) bool {
	owner, next := n.Hdr.Name, n.NextDomain
	if !canonLess(owner, next) { // the last NSEC wraps to the apex
		return canonLess(owner, name)
	}
	return canonLess(owner, name) && canonLess(name, next)
}

func nsecs(rrs []dns.RR) []*dns.NSEC {
	var out []*dns.NSEC
	for _, rr := range rrs {
		if n, ok := rr.(*dns.NSEC); ok {
			out = append(out, n)
		}
	}
	return out
}

func TestSignedAnswers(t *testing.T) {
	dir := t.TempDir()
	kskPath, ksk := writeTestKey(t, dir, "ksk", 257)
	zskPath, zsk := writeTestKey(t, dir, "zsk", 256)
	keys := map[uint16]*dns.DNSKEY{ksk.KeyTag(): ksk, zsk.KeyTag(): zsk}
	g, s := newSignedGSLB(t, testConfig(), kskPath, zskPath)
	full(t, g, scenarioTable()...)
	now := s.now()

	// A with 0x20 case: the answer and its ZSK signature.
	r, _ := serve(t, g, doQuery("HeLLo.avi.iberia.local.", dns.TypeA))
	if types := verifySection(t, "hello A", r.Answer, keys, now); !slices.Equal(types, []uint16{dns.TypeA}) || len(r.Answer) != 2 {
		t.Fatalf("hello A: %v, want one A and its RRSIG", r.Answer)
	}
	if sig := r.Answer[1].(*dns.RRSIG); sig.KeyTag != zsk.KeyTag() || sig.Hdr.Name != "HeLLo.avi.iberia.local." {
		t.Errorf("hello A: signed by %d as %s, want the ZSK %d and the asked case", sig.KeyTag, sig.Hdr.Name, zsk.KeyTag())
	}
	// Every member of the split is signed: three queries, three answers.
	seen := map[string]bool{}
	for range 12 {
		r, _ := serve(t, g, doQuery("hello.avi.iberia.local.", dns.TypeA))
		verifySection(t, "hello A", r.Answer, keys, now)
		seen[r.Answer[0].(*dns.A).A.String()] = true
	}
	if len(seen) != 3 {
		t.Errorf("12 answers gave members %v, want all 3", seen)
	}
	// DNSKEY: both keys, signed by the KSK only.
	r, _ = serve(t, g, doQuery(zone, dns.TypeDNSKEY))
	verifySection(t, "DNSKEY", r.Answer, keys, now)
	if len(r.Answer) != 3 || r.Answer[2].(*dns.RRSIG).KeyTag != ksk.KeyTag() {
		t.Errorf("DNSKEY: %v, want 2 keys and the KSK's RRSIG", r.Answer)
	}
	// The alias chased in the zone, the down responses, the apex.
	for _, q := range []struct {
		name  string
		qtype uint16
		n     int // RRsets
	}{{"alias.avi.iberia.local.", dns.TypeA, 2}, {"downall.avi.iberia.local.", dns.TypeA, 1},
		{"downfb.avi.iberia.local.", dns.TypeA, 1}, {zone, dns.TypeSOA, 1}, {zone, dns.TypeNS, 1},
		{"dual.avi.iberia.local.", dns.TypeAAAA, 1}} {
		r, _ := serve(t, g, doQuery(q.name, q.qtype))
		if types := verifySection(t, q.name, r.Answer, keys, now); len(types) != q.n {
			t.Errorf("%s %s: RRsets %v, want %d", q.name, dns.TypeToString[q.qtype], types, q.n)
		}
	}

	// NODATA: the SOA and the name's NSEC, both signed, without AAAA.
	for _, name := range []string{"hello.avi.iberia.local.", "downempty.avi.iberia.local.", "deep.avi.iberia.local."} {
		r, _ = serve(t, g, doQuery(name, dns.TypeAAAA))
		verifySection(t, name+" AAAA", r.Ns, keys, now)
		ns := nsecs(r.Ns)
		if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 0 || len(ns) != 1 {
			t.Fatalf("%s AAAA: %v, want NODATA with one NSEC", name, r)
		}
		if strings.EqualFold(ns[0].Hdr.Name, name) {
			if slices.Contains(ns[0].TypeBitMap, dns.TypeAAAA) || slices.Contains(ns[0].TypeBitMap, dns.TypeCNAME) {
				t.Errorf("%s AAAA: NSEC %v lists AAAA or CNAME", name, ns[0])
			}
		} else if !covers(ns[0], name) || !dns.IsSubDomain(name, ns[0].NextDomain) { // an empty non-terminal
			t.Errorf("%s AAAA: NSEC %v does not prove an empty non-terminal", name, ns[0])
		}
	}
	// NXDOMAIN: the name and the wildcard of its closest encloser are covered.
	for _, name := range []string{"nope.avi.iberia.local.", "zzz.avi.iberia.local.", "x.deep.avi.iberia.local.", "a.hello.avi.iberia.local."} {
		r, _ = serve(t, g, doQuery(name, dns.TypeA))
		verifySection(t, name, r.Ns, keys, now)
		ns := nsecs(r.Ns)
		if r.Rcode != dns.RcodeNameError || len(ns) == 0 {
			t.Fatalf("%s: %v, want NXDOMAIN with NSEC", name, r)
		}
		ce := name[strings.Index(name, ".")+1:]
		var nameOK, wildOK bool
		for _, n := range ns {
			nameOK = nameOK || covers(n, name)
			wildOK = wildOK || covers(n, "*."+ce)
		}
		if !nameOK || !wildOK {
			t.Errorf("%s: NSECs %v do not cover the name (%v) and *.%s (%v)", name, ns, nameOK, ce, wildOK)
		}
	}
	// Without DO: nothing signed.
	m := doQuery("hello.avi.iberia.local.", dns.TypeA)
	m.Extra = nil
	if r, _ = serve(t, g, m); len(r.Answer) != 1 {
		t.Errorf("hello A without DO: %v, want the A alone", r.Answer)
	}
}

// TestSignedDelta: a DELTA re-signs only the record it changes, the NSEC
// of the name before a new one, and the SOA; the rest is carried over.
func TestSignedDelta(t *testing.T) {
	dir := t.TempDir()
	p, key := writeTestKey(t, dir, "csk", 257)
	g, s := newSignedGSLB(t, testConfig(), p)
	tb := full(t, g, append(scenarioTable(), bigTable(1000)...)...)
	before := s.cur.Load()
	nt, err := g.feed.apply(&gslbv1.ApplyHeader{Kind: gslbv1.Kind_KIND_DELTA, BaseVersion: tb.version},
		[]*gslbv1.Record{rec("hello.avi.iberia.local", mem("127.0.0.99", 1)), rec("app-10x.avi.iberia.local", mem("192.0.2.9", 1))}, nil)
	if err != nil {
		t.Fatal(err)
	}
	after := s.cur.Load()
	if after.table != nt || len(after.names) != len(before.names)+1 {
		t.Fatalf("signed table %p has %d names, want the new table %p with %d", after.table, len(after.names), nt, len(before.names)+1)
	}
	old := map[string]*signedName{}
	for _, e := range before.names {
		old[e.name] = e
	}
	var changed []string
	for _, e := range after.names {
		if old[e.name] != e {
			changed = append(changed, e.name)
		}
	}
	// app-10x sorts after app-109: its NSEC changes too.
	want := []string{"app-109.avi.iberia.local.", "app-10x.avi.iberia.local.", "hello.avi.iberia.local."}
	if !slices.Equal(changed, want) {
		t.Errorf("re-signed %v, want %v", changed, want)
	}
	r, _ := serve(t, g, doQuery("hello.avi.iberia.local.", dns.TypeA))
	verifySection(t, "hello A after the delta", r.Answer, map[uint16]*dns.DNSKEY{key.KeyTag(): key}, s.now())
	if a := r.Answer[0].(*dns.A); a.A.String() != "127.0.0.99" {
		t.Errorf("hello A after the delta: %v", r.Answer)
	}
	checkIndex(t, after)

	// A delete: the name is gone from the chain, its predecessor re-linked.
	if _, err := g.feed.apply(&gslbv1.ApplyHeader{Kind: gslbv1.Kind_KIND_DELTA, BaseVersion: nt.version}, nil, []string{"app-10x.avi.iberia.local"}); err != nil {
		t.Fatal(err)
	}
	gone := s.cur.Load()
	checkIndex(t, gone)
	if e := gone.entry("app-109.avi.iberia.local."); e == nil || e.nsec.NextDomain != "app-11.avi.iberia.local." {
		t.Errorf("after the delete, app-109's NSEC is %v, want next app-11", e.nsec)
	}
	r, _ = serve(t, g, doQuery("app-10x.avi.iberia.local.", dns.TypeA))
	if r.Rcode != dns.RcodeNameError {
		t.Errorf("app-10x after its delete: %v", r)
	}
	verifySection(t, "app-10x after its delete", r.Ns, map[uint16]*dns.DNSKEY{key.KeyTag(): key}, s.now())
}

// checkIndex: the name index holds exactly the chain's entries, and the
// chain is in canonical order, each NSEC naming the next.
func checkIndex(t *testing.T, sz *signedZone) {
	t.Helper()
	n := 0
	for _, m := range sz.index {
		n += len(m)
	}
	if n != len(sz.names) {
		t.Errorf("index holds %d names, the chain %d", n, len(sz.names))
	}
	for i, e := range sz.names {
		if sz.index.get([]byte(e.name)) != e {
			t.Errorf("index: %s is not the chain's entry", e.name)
		}
		next := sz.names[(i+1)%len(sz.names)]
		if e.nsec.NextDomain != next.name || (i+1 < len(sz.names) && !canonLess(e.name, next.name)) {
			t.Errorf("chain: %s → %s, next entry %s", e.name, e.nsec.NextDomain, next.name)
		}
	}
}

// TestResignTimer: nothing is due before half the validity; by three
// quarters every name has been re-signed, with signatures valid from then.
func TestResignTimer(t *testing.T) {
	p, key := writeTestKey(t, t.TempDir(), "csk", 257)
	g, s := newSignedGSLB(t, testConfig(), p)
	full(t, g, append(scenarioTable(), bigTable(200)...)...)
	clk := g.feed.now()
	total := len(s.cur.Load().names)
	s.now = func() time.Time { return clk.Add(s.validity/2 - time.Minute) }
	if n := s.resign(); n != 0 {
		t.Fatalf("before half the validity %d names were re-signed", n)
	}
	sum := 0
	for step := time.Duration(1); step <= 8; step++ { // half to three quarters, in 8 ticks
		s.now = func() time.Time { return clk.Add(s.validity/2 + step*s.validity/32) }
		n := s.resign()
		if n == total {
			t.Fatalf("tick %d re-signed every name at once", step)
		}
		sum += n
	}
	if sum != total {
		t.Errorf("re-signed %d names by three quarters of the validity, want all %d", sum, total)
	}
	checkIndex(t, s.cur.Load())
	now := s.now()
	r, _ := serve(t, g, doQuery("app-7.avi.iberia.local.", dns.TypeA))
	verifySection(t, "app-7 A", r.Answer, map[uint16]*dns.DNSKEY{key.KeyTag(): key}, now.Add(s.validity/2))
}

// TestSignedRepushAndLateSigner: a FULL push of the table already held
// re-signs only the SOA; a signer that joins a feed with a table (a reload)
// signs it before its first answer.
func TestSignedRepushAndLateSigner(t *testing.T) {
	p, key := writeTestKey(t, t.TempDir(), "csk", 257)
	cfg := testConfig()
	cfg.sign = signConfig{keys: []string{p}, validity: defaultValidity}
	g := newTestGSLB(t, cfg, nil)
	full(t, g, append(scenarioTable(), bigTable(300)...)...)
	ss, err := newSigners(g, cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := ss[0]
	if r, _ := serve(t, g, doQuery("hello.avi.iberia.local.", dns.TypeA)); len(r.Answer) != 1 {
		t.Fatalf("before the signer joined: %v, want the unsigned answer", r.Answer)
	}
	g.feed.addSigner(s)
	r, _ := serve(t, g, doQuery("hello.avi.iberia.local.", dns.TypeA))
	verifySection(t, "hello A after the signer joined", r.Answer, map[uint16]*dns.DNSKEY{key.KeyTag(): key}, s.now())

	before := s.cur.Load()
	full(t, g, append(scenarioTable(), bigTable(300)...)...) // equal records, new messages
	after := s.cur.Load()
	for i, e := range after.names {
		if before.names[i] != e {
			t.Errorf("a FULL push of the same table re-signed %s", e.name)
		}
	}
	if after.table.version == before.table.version || after.soaSigs[0] == before.soaSigs[0] {
		t.Errorf("the SOA was not re-signed for version %d", after.table.version)
	}
	g.feed.removeSigner(s)
	full(t, g, scenarioTable()...)
	if s.cur.Load() != after {
		t.Error("a removed signer still follows the feed")
	}
}

// TestSignedConcurrent: queries with DO run while deltas are applied and
// the timer re-signs (run with -race): every answer verifies.
func TestSignedConcurrent(t *testing.T) {
	p, key := writeTestKey(t, t.TempDir(), "csk", 257)
	g, s := newSignedGSLB(t, testConfig(), p)
	full(t, g, append(scenarioTable(), bigTable(50)...)...)
	keys := map[uint16]*dns.DNSKEY{key.KeyTag(): key}
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				for _, name := range []string{"app-7.avi.iberia.local.", "nope.avi.iberia.local."} {
					rec := dnstest.NewRecorder(&test.ResponseWriter{})
					if _, err := g.ServeDNS(context.Background(), rec, doQuery(name, dns.TypeA)); err != nil {
						t.Error(err)
						return
					}
					for _, sec := range [][]dns.RR{rec.Msg.Answer, rec.Msg.Ns} {
						for _, rr := range sec {
							if sig, ok := rr.(*dns.RRSIG); ok && sig.KeyTag != key.KeyTag() {
								t.Errorf("%s: RRSIG by %d", name, sig.KeyTag)
							}
						}
					}
				}
			}
		}()
	}
	clk := g.feed.now()
	for i := range 20 {
		v := g.feed.table.Load().Version()
		r := rec("app-7.avi.iberia.local", mem(fmt.Sprintf("192.0.2.%d", i+1), 1))
		if _, err := g.feed.apply(&gslbv1.ApplyHeader{Kind: gslbv1.Kind_KIND_DELTA, BaseVersion: v}, []*gslbv1.Record{r}, nil); err != nil {
			t.Fatal(err)
		}
		s.now = func() time.Time { return clk.Add(time.Duration(i) * s.validity / 20) }
		s.resign()
	}
	close(done)
	wg.Wait()
	r, _ := serve(t, g, doQuery("app-7.avi.iberia.local.", dns.TypeA))
	verifySection(t, "app-7 A at the end", r.Answer, keys, s.now())
}
