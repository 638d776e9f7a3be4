package gslbmetrics

import (
	"context"
	"net"
	"testing"

	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin"
	"github.com/miekg/dns"
)

// writer is a response writer that keeps the last message and allocates
// nothing, so that benchmarks count only the handler's allocations.
type writer struct {
	remote net.Addr
	msg    *dns.Msg
}

var (
	udp4 = &net.UDPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 40000}
	tcp6 = &net.TCPAddr{IP: net.ParseIP("2001:db8::1"), Port: 40000}
)

func (w *writer) LocalAddr() net.Addr         { return udp4 }
func (w *writer) RemoteAddr() net.Addr        { return w.remote }
func (w *writer) WriteMsg(m *dns.Msg) error   { w.msg = m; return nil }
func (w *writer) Write(b []byte) (int, error) { return len(b), nil }
func (w *writer) Close() error                { return nil }
func (w *writer) TsigStatus() error           { return nil }
func (w *writer) TsigTimersOnly(bool)         {}
func (w *writer) Hijack()                     {}

// answering is a next plugin that answers every query with a prepared
// reply of the given rcode, or (write false) returns the rcode unwritten.
type answering struct {
	rcode int
	write bool
	reply *dns.Msg
}

func (a *answering) Name() string { return "answering" }

func (a *answering) ServeDNS(_ context.Context, w dns.ResponseWriter, _ *dns.Msg) (int, error) {
	if !a.write {
		return a.rcode, nil
	}
	return a.rcode, w.WriteMsg(a.reply)
}

func newAnswering(rcode int, write bool) *answering {
	m := new(dns.Msg)
	m.SetQuestion("hello.avi.iberia.local.", dns.TypeA)
	m.Response, m.Rcode = true, rcode
	return &answering{rcode: rcode, write: write, reply: m}
}

// newTestMetrics returns a counting handler for the zones in front of next,
// with every query sampled unless every says otherwise.
func newTestMetrics(next plugin.Handler, every uint32, zones ...string) *Metrics {
	m := &Metrics{Next: next, zones: zones, sample: sampler(every)}
	m.setBlock(blockInfo{plugins: []string{"gslbmetrics", "errors", next.Name()}}, true)
	return m
}

// serverCtx is the context of a query received by a server at addr.
func serverCtx(addr string) context.Context {
	return context.WithValue(context.Background(), dnsserver.Key{}, &dnsserver.Server{Addr: addr})
}

func query(name string, qtype uint16, do bool) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	if do {
		m.SetEdns0(1232, true)
	}
	return m
}

func serve(t testing.TB, m *Metrics, ctx context.Context, w dns.ResponseWriter, r *dns.Msg) int {
	t.Helper()
	rc, err := m.ServeDNS(ctx, w, r)
	if err != nil {
		t.Fatal(err)
	}
	return rc
}
