package statuspage

// Templates and assets, embedded; responses with an ETag so that the
// page's polling costs a 304 while nothing changed.

import (
	"bytes"
	"embed"
	"encoding/hex"
	"hash/fnv"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

var funcs = template.FuncMap{
	"shareChart":   shareChart,
	"shareBar":     shareBar,
	"memberName":   memberName,
	"healthSymbol": healthSymbol,
	"pct":          func(f float64) string { return strconv.FormatFloat(100*f, 'f', 0, 64) + "%" },
	"fmtTime":      func(t time.Time) string { return t.UTC().Format("Jan 2 15:04:05 UTC") },
	"clock":        func(t time.Time) string { return t.UTC().Format("15:04:05") },
	"rfc3339":      func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"recordURL":    recordURL,
	"pageURL":      pageURL,
	"inc":          func(i int) int { return i + 1 },
	"dec":          func(i int) int { return i - 1 },
	"colour":       func(i int) string { c, _ := style(i); return c },
	"dash":         func(i int) string { _, d := style(i); return d },
}

var (
	indexTmpl  = template.Must(template.New("index").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/index.html"))
	recordTmpl = template.Must(template.New("record").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/record.html"))
)

// healthSymbol goes with the health's word and colour.
func healthSymbol(h string) string {
	switch h {
	case "up":
		return "✔"
	case "down":
		return "✖"
	}
	return "?"
}

func recordURL(fqdn string) string { return "/status/record?name=" + url.QueryEscape(fqdn) }

func pageURL(q string, page, size int) string {
	v := url.Values{}
	if q != "" {
		v.Set("q", q)
	}
	v.Set("page", strconv.Itoa(page))
	if size != defaultPageSize {
		v.Set("size", strconv.Itoa(size))
	}
	return "/status/?" + v.Encode()
}

// send writes body with its ETag, or 304 when the client has it.
func send(w http.ResponseWriter, r *http.Request, contentType string, body []byte) {
	h := fnv.New64a()
	h.Write(body)
	etag := `"` + hex.EncodeToString(h.Sum(nil)) + `"`
	hd := w.Header()
	hd.Set("ETag", etag)
	hd.Set("Cache-Control", "no-cache")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hd.Set("Content-Type", contentType)
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}

// render executes t with data, or answers 500.
func render(w http.ResponseWriter, r *http.Request, t *template.Template, name string, data any) {
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, name, data); err != nil {
		http.Error(w, "status page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	send(w, r, "text/html; charset=utf-8", b.Bytes())
}
