package statuspage

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"strings"

	"github.com/gslbdns/gslb/syncer/gslbctl"

	"github.com/miekg/dns"
)

// Page is the status page and its JSON. Make it with New, serve it with
// Register, keep it current with Run.
type Page struct {
	opts      Options
	index     indexCache
	dec       *decisions
	answers   *answers // nil: no chart
	syncState syncStateCache
}

// New returns the page of the given inputs.
func New(opts Options) *Page {
	opts = opts.withDefaults()
	p := &Page{opts: opts, dec: newDecisions()}
	if opts.AnswersURL != "" {
		p.answers = newAnswers(opts.AnswersURL, opts.AnswersEvery, opts.AnswersKeep, opts.AnswersMaxSeries)
	}
	return p
}

// Run follows the probes' decisions and scrapes the answers until ctx
// ends.
func (p *Page) Run(ctx context.Context) {
	if p.opts.Decisions != nil {
		stop := p.opts.Decisions.WatchDecisions(p.dec.observe)
		defer stop()
	}
	if p.answers != nil {
		client := &http.Client{Timeout: p.opts.AnswersEvery}
		p.answers.run(ctx, client, p.opts.Now)
		return
	}
	<-ctx.Done()
}

// summary is one page of the records matching q, with the syncer's state.
func (p *Page) summary(q string, page, size int) Summary {
	ix := p.index.get(p.opts.Table)
	recs, matched, page := ix.search(q, page, size)
	size = pageSize(size)
	s := Summary{
		Now:        p.opts.Now().UTC(),
		Generation: ix.generation,
		Records: RecordPage{Query: q, Total: len(ix.records), Matched: matched, Page: page, PageSize: size,
			Pages: max(1, (matched+size-1)/size), Items: make([]Record, len(recs))},
		Targets:     targets(p.opts.Targets),
		Transitions: p.dec.transitions(),
	}
	for i, r := range recs {
		s.Records.Items[i] = record(r, p.dec.since)
		if p.answers != nil {
			withAnswers(&s.Records.Items[i], p.answers.history(keysOf(s.Records.Items[i])))
		}
	}
	s.Probes, s.Clusters = p.syncState.get(p.opts.Metrics, p.opts.Now())
	if p.opts.Delegation != nil {
		s.Delegation = p.opts.Delegation()
	}
	if p.answers != nil {
		st := p.answers.state()
		s.Answers = &st
	}
	return s
}

// detail is the record named name with its chart, and what it answers
// client ("" for none); ok false when there is no such record.
func (p *Page) detail(name, client string) (RecordDetail, bool) {
	ix := p.index.get(p.opts.Table)
	r := ix.find(name)
	if r == nil {
		return RecordDetail{}, false
	}
	d := RecordDetail{Now: p.opts.Now().UTC(), Generation: ix.generation, Record: record(r, p.dec.since), Chart: []Interval{}}
	if p.answers != nil {
		d.Chart = p.answers.history(keysOf(d.Record))
		d.Every = p.answers.every.String()
		withAnswers(&d.Record, d.Chart)
	}
	if client = strings.TrimSpace(client); client != "" {
		d.Client = client
		prefix, qtype, err := clientPrefix(client)
		if err != nil {
			d.ClientErr = err.Error()
		} else {
			d.Explain = gslbctl.Explain(r, prefix, qtype, nil)
		}
	}
	return d, true
}

// clientPrefix parses a client address or prefix as gslbctl explain
// --client does; the query type follows its family.
func clientPrefix(s string) (netip.Prefix, uint16, error) {
	pfx, err := gslbctl.ParseSubnet(s)
	if err != nil {
		return pfx, 0, fmt.Errorf("client: %v", err)
	}
	if pfx.Addr().Is4() {
		return pfx, dns.TypeA, nil
	}
	return pfx, dns.TypeAAAA, nil
}
