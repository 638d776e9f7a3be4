package gslb

import (
	"context"

	"github.com/coredns/coredns/plugin"
	"github.com/miekg/dns"
)

// A GSLB zone exists only as answers: each query gets the member its algorithm
// picks among the healthy ones at that moment. There is no zone content to
// copy, so zone transfers (AXFR, IXFR) are refused, and a request that is not
// a query (NOTIFY) is not answered as one. Neither is counted in the gslb
// metrics nor advances a round robin.

// notAQuery reports whether r is a request gslb does not answer: a zone
// transfer, or an opcode other than QUERY.
func notAQuery(r *dns.Msg) bool {
	if r.Opcode != dns.OpcodeQuery {
		return true
	}
	qt := r.Question[0].Qtype
	return qt == dns.TypeAXFR || qt == dns.TypeIXFR
}

// serveNotAQuery answers what notAQuery holds: NOTIMP for other opcodes;
// a transfer goes to the transfer plugin when one follows in the chain
// (it may transfer the static records of a fallthrough zone), else REFUSED.
// A transfer the rest of the chain does not answer (the transfer plugin is
// configured for other zones only) is REFUSED too.
func (g *GSLB) serveNotAQuery(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	if r.Opcode != dns.OpcodeQuery {
		return dns.RcodeNotImplemented, nil
	}
	if g.transfer {
		if rc, err := plugin.NextOrFailure(g.Name(), g.Next, ctx, w, r); plugin.ClientWrite(rc) {
			return rc, err
		}
	}
	return dns.RcodeRefused, nil
}
