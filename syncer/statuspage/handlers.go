package statuspage

// The routes. Every one is a GET (HEAD too): nothing on the page changes
// anything; the mux answers 405 to any other method.

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"strconv"
	"time"
)

// Paths.
const (
	PathPage    = "/status/"
	PathRecord  = "/status/record"
	PathSummary = "/status/api/v1/summary"
	PathDetail  = "/status/api/v1/record"
)

// Register adds the page's routes to mux.
func (p *Page) Register(mux *http.ServeMux) {
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /status", http.RedirectHandler(PathPage, http.StatusMovedPermanently))
	mux.HandleFunc("GET "+PathPage+"{$}", p.serveIndex)
	mux.HandleFunc("GET "+PathRecord, p.serveRecord)
	mux.HandleFunc("GET "+PathSummary, p.serveSummary)
	mux.HandleFunc("GET "+PathDetail, p.serveDetail)
	mux.Handle("GET /status/static/", http.StripPrefix("/status/static/", http.FileServerFS(static)))
}

// view is what the templates get.
type view struct {
	Title, Query, Poll, JSONURL string
	PollMs                      int64
	S                           Summary
	D                           RecordDetail
}

func (p *Page) view(title, query, jsonURL string) view {
	return view{Title: title, Query: query, Poll: p.opts.Poll.String(), PollMs: p.opts.Poll.Milliseconds(), JSONURL: jsonURL}
}

func (p *Page) serveIndex(w http.ResponseWriter, r *http.Request) {
	q, page, size := pageQuery(r)
	v := p.view("Records", q, PathSummary+"?"+r.URL.RawQuery)
	v.S = p.summary(q, page, size)
	render(w, r, indexTmpl, "index.html", v)
}

// recordOf is the record the request names (?name=, ?client=), or false
// after answering 404.
func (p *Page) recordOf(w http.ResponseWriter, r *http.Request) (RecordDetail, bool) {
	name := r.URL.Query().Get("name")
	d, ok := p.detail(name, r.URL.Query().Get("client"))
	if !ok {
		http.Error(w, "no record "+strconv.Quote(name)+" in the table", http.StatusNotFound)
	}
	return d, ok
}

func (p *Page) serveRecord(w http.ResponseWriter, r *http.Request) {
	d, ok := p.recordOf(w, r)
	if !ok {
		return
	}
	v := p.view(d.Record.FQDN, "", PathDetail+"?"+r.URL.RawQuery)
	v.D = d
	render(w, r, recordTmpl, "record.html", v)
}

func (p *Page) serveSummary(w http.ResponseWriter, r *http.Request) {
	q, page, size := pageQuery(r)
	s := p.summary(q, page, size)
	s.Now = s.Now.Truncate(time.Second)
	sendJSON(w, r, s)
}

func (p *Page) serveDetail(w http.ResponseWriter, r *http.Request) {
	d, ok := p.recordOf(w, r)
	if !ok {
		return
	}
	d.Now = d.Now.Truncate(time.Second)
	sendJSON(w, r, d)
}

func sendJSON(w http.ResponseWriter, r *http.Request, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	send(w, r, "application/json", append(b, '\n'))
}

// pageQuery reads q, page and size; bad numbers are the defaults.
func pageQuery(r *http.Request) (q string, page, size int) {
	v := r.URL.Query()
	page, _ = strconv.Atoi(v.Get("page"))
	size, _ = strconv.Atoi(v.Get("size"))
	return v.Get("q"), page, size
}
