package gslbmetrics

import (
	"context"
	"net"
	"time"

	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin"
	"github.com/miekg/dns"
)

// ServeDNS implements plugin.Handler: count the query, hand it on, count the
// response. A sampled query also feeds the duration and size histograms.
func (m *Metrics) ServeDNS(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	if m.Next == nil || !m.counting.Load() || len(r.Question) != 1 {
		return plugin.NextOrFailure(m.Name(), m.Next, ctx, w, r)
	}
	q := r.Question[0]
	zi := m.zoneIndex(q.Name)
	if zi < 0 {
		return m.Next.ServeDNS(ctx, w, r)
	}
	srv, _ := ctx.Value(dnsserver.Key{}).(*dnsserver.Server)
	z := m.site(srv).zones[zi]
	proto, fam := transport(w.RemoteAddr())
	z.request(proto, fam, typeIndex(q.Qtype)).Inc()
	if opt := r.IsEdns0(); opt != nil && opt.Do() {
		z.doRequest().Inc()
	}

	sampled := m.sample()
	var start time.Time
	if sampled {
		start = time.Now()
		z.requestSize(proto).Observe(float64(r.Len()))
	}
	rec := m.getRecorder(w, sampled)
	status, err := m.Next.ServeDNS(ctx, rec, r)
	rc, by, size := rec.rcode, rec.plugin, rec.size
	if by == "" && rec.written {
		by = m.Next.Name() // the next plugin wrote it itself
	}
	m.putRecorder(rec)

	if !plugin.ClientWrite(status) {
		rc = status // the server writes this rcode (see dnsserver.Server.ServeDNS)
	}
	z.response(rc, by)
	if sampled {
		z.durationObserver().Observe(time.Since(start).Seconds())
		z.responseSize(proto).Observe(float64(size))
	}
	return status, err
}

// transport returns the proto (0 udp, 1 tcp) and family (0 IPv4, 1 IPv6)
// slots of the client's address.
func transport(a net.Addr) (proto, fam int) {
	var ip net.IP
	switch a := a.(type) {
	case *net.UDPAddr:
		ip = a.IP
	case *net.TCPAddr:
		proto, ip = 1, a.IP
	}
	if ip != nil && ip.To4() == nil {
		fam = 1
	}
	return proto, fam
}
