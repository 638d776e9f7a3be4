package gslbmetrics

import (
	"github.com/miekg/dns"
)

// recorder is the response writer handed down the chain: it notes the rcode
// of the response, the plugin that wrote it and, for a sampled query, its
// size. Recorders are pooled, so wrapping a query allocates nothing; a
// recorder is reused only after ServeDNS returned, and CoreDNS plugins do not
// write after that.
type recorder struct {
	dns.ResponseWriter
	rcode   int
	plugin  string
	written bool
	sized   bool // measure the response size (a sampled query)
	size    int
}

func (m *Metrics) getRecorder(w dns.ResponseWriter, sized bool) *recorder {
	r, _ := m.pool.Get().(*recorder)
	if r == nil {
		r = new(recorder)
	}
	*r = recorder{ResponseWriter: w, sized: sized}
	return r
}

func (m *Metrics) putRecorder(r *recorder) {
	*r = recorder{}
	m.pool.Put(r)
}

// WriteMsg implements dns.ResponseWriter.
func (r *recorder) WriteMsg(res *dns.Msg) error {
	r.rcode, r.written = res.Rcode, true
	if r.sized {
		r.size += res.Len()
	}
	return r.ResponseWriter.WriteMsg(res)
}

// Write implements dns.ResponseWriter.
func (r *recorder) Write(buf []byte) (int, error) {
	n, err := r.ResponseWriter.Write(buf)
	if err == nil && len(buf) >= 4 {
		r.rcode, r.written = int(buf[3]&0xf), true
	}
	r.size += n
	return n, err
}

// SetPlugin implements plugin.PluginTracker: the chain names the plugin that
// writes the response.
func (r *recorder) SetPlugin(name string) { r.plugin = name }

// GetPlugin implements plugin.PluginTracker.
func (r *recorder) GetPlugin() string { return r.plugin }
