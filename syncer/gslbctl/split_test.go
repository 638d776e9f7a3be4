package gslbctl

import (
	"bytes"
	"context"
	"encoding/xml"
	"image/png"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// wrrServer answers like the plugin's WRR over a fixed schedule.
type wrrServer struct {
	sched []string
	n     int
}

func (s *wrrServer) Exchange(m *dns.Msg, _ string) (*dns.Msg, time.Duration, error) {
	r := new(dns.Msg)
	r.SetReply(m)
	ip := s.sched[s.n%len(s.sched)]
	s.n++
	r.Answer = []dns.RR{&dns.A{Hdr: dns.RR_Header{Name: m.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 2}, A: net.ParseIP(ip)}}
	return r, 0, nil
}

func measure(t *testing.T, q Querier, n int) (map[string]int, int, int) {
	counts, sent, failed, _, err := Measure(context.Background(), SplitOptions{Server: "x", Name: "hello.avi.iberia.local", Qtype: dns.TypeA, N: n, Client: q})
	if err != nil {
		t.Fatal(err)
	}
	return counts, sent, failed
}

func TestSplitExact(t *testing.T) {
	q := &wrrServer{sched: []string{"127.0.0.11", "127.0.0.12", "127.0.0.11", "127.0.0.13", "127.0.0.12", "127.0.0.11"}}
	counts, sent, failed := measure(t, q, 1200)
	pos, _, _ := ParseExpect("6:4:2")
	res, err := Evaluate("hello.avi.iberia.local", dns.TypeA, counts, sent, failed, time.Second, nil, pos, 0.01)
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK || !res.Exact || res.Answered != 1200 || res.Rows[0].Count != 600 || res.Rows[2].Count != 200 {
		t.Fatalf("exact 6:4:2: %+v", res)
	}
	var out bytes.Buffer
	res.Print(&out)
	for _, want := range []string{"127.0.0.11", "50.0%", "600", "consistent with the configured weights (exact"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}

	// A wrong expectation is flagged.
	bad, _, _ := ParseExpect("1:1:1")
	res, _ = Evaluate("hello.avi.iberia.local", dns.TypeA, counts, sent, failed, time.Second, nil, bad, 0.01)
	if res.OK || res.P > 1e-6 {
		t.Fatalf("6:4:2 against --expect 1:1:1 passed: p %v", res.P)
	}
	out.Reset()
	res.Print(&out)
	if !strings.Contains(out.String(), "DEVIATES") {
		t.Errorf("no DEVIATES verdict:\n%s", out.String())
	}
	// A member that is not configured is flagged.
	_, named, _ := ParseExpect("127.0.0.11=6,127.0.0.12=4")
	res, _ = Evaluate("hello.avi.iberia.local", dns.TypeA, counts, sent, failed, time.Second, named, nil, 0.01)
	if res.OK || len(res.Unplanned) != 1 || res.Unplanned[0] != "127.0.0.13" {
		t.Fatalf("unplanned member not flagged: %+v", res)
	}
}

// The scenario's canary, 20:20:1: 2.4% configured, read clearly.
func TestSplitCanaryChart(t *testing.T) {
	sched := make([]string, 0, 41)
	for i := 0; i < 20; i++ {
		sched = append(sched, "127.0.0.11", "127.0.0.12")
	}
	sched = append(sched, "127.0.0.13")
	counts, sent, failed := measure(t, &wrrServer{sched: sched}, 4100)
	pos, _, _ := ParseExpect("20:20:1")
	res, err := Evaluate("hello.avi.iberia.local", dns.TypeA, counts, sent, failed, time.Second, nil, pos, 0.01)
	if err != nil || !res.OK {
		t.Fatalf("canary: %v %+v", err, res)
	}
	var out bytes.Buffer
	res.Print(&out)
	if !strings.Contains(out.String(), "2.4%") {
		t.Errorf("the canary's 2.4%% share is not shown:\n%s", out.String())
	}

	svg := res.SVG()
	var doc struct {
		XMLName xml.Name
		Rects   []struct{} `xml:"rect"`
		Texts   []string   `xml:"text"`
	}
	if err := xml.Unmarshal(svg, &doc); err != nil {
		t.Fatalf("SVG does not parse: %v", err)
	}
	if doc.XMLName.Local != "svg" || len(doc.Rects) < 8 || !strings.Contains(strings.Join(doc.Texts, "|"), "2.4%") {
		t.Fatalf("SVG: root %s, %d rects, texts %v", doc.XMLName.Local, len(doc.Rects), doc.Texts)
	}
	b, err := res.PNG()
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("PNG does not decode: %v", err)
	}
	if img.Bounds().Dx() != chartW || img.Bounds().Dy() != chartH || len(b) < 5000 {
		t.Fatalf("PNG %v, %d bytes", img.Bounds(), len(b))
	}
	// Not blank: the observed colour is drawn.
	found := false
	for y := 0; y < chartH && !found; y += 2 {
		for x := 0; x < chartW; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 == uint32(colObserved.R) && g>>8 == uint32(colObserved.G) && bl>>8 == uint32(colObserved.B) {
				found = true
				break
			}
		}
	}
	if !found {
		t.Fatal("the PNG has no observed bar")
	}
}

func TestParseExpectErrors(t *testing.T) {
	for _, s := range []string{"6:x:1", "a=", "=3", "6,4"} {
		if _, _, err := ParseExpect(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}
