// Command demosite is the demo's stand-in for the scenario's hello-kubernetes
// deployments: a tiny HTTP server whose page says which site served it
// ("This service resides in SITE1 AZ1"), so that `make run` has real members
// for the health checks to probe.
//
//	demosite --listen 127.0.0.11:8000 --message "This service resides in SITE1 AZ1"
//
// GET / answers the page (HEAD too). To play an outage without stopping the
// process (`kill -STOP PID` and `kill -CONT PID` freeze and thaw it):
//
//	/fail      GET / answers 503 from now on
//	/hang      GET / never answers (until /recover)
//	/recover   GET / answers the page again
//
// SIGINT and SIGTERM stop it (exit status 0).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"html"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8000", "`HOST:PORT` to serve on")
	message := flag.String("message", "This service resides in SITE1 AZ1", "the page's message line")
	flag.Parse()
	log.SetFlags(log.Ltime)
	log.SetPrefix("demosite " + *listen + ": ")

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	s := &site{message: *message, addr: ln.Addr().String(), recovered: make(chan struct{})}
	srv := &http.Server{Handler: s.routes(), ReadHeaderTimeout: 5 * time.Second}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		s.setMode(modeOK) // release hanging requests
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	log.Printf("serving %q on http://%s/ (pid %d)", *message, s.addr, os.Getpid())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
	log.Print("stopped")
}

type mode int

const (
	modeOK mode = iota
	modeFail
	modeHang
)

var modeNames = [...]string{"ok", "fail", "hang"}

type site struct {
	message, addr string

	mu        sync.Mutex
	mode      mode
	recovered chan struct{} // closed when the mode leaves hang
}

func (s *site) setMode(m mode) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mode == modeHang && m != modeHang {
		close(s.recovered)
		s.recovered = make(chan struct{})
	}
	s.mode = m
}

func (s *site) current() (mode, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mode, s.recovered
}

func (s *site) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/", s.page)
	for _, m := range []struct {
		path string
		mode mode
		what string
	}{
		{"/fail", modeFail, "GET / answers 503 now"},
		{"/hang", modeHang, "GET / hangs now"},
		{"/recover", modeOK, "GET / answers the page again"},
	} {
		mux.HandleFunc(m.path, func(w http.ResponseWriter, r *http.Request) {
			s.setMode(m.mode)
			log.Printf("%s: %s", m.path, m.what)
			fmt.Fprintf(w, "%s: %s (%s)\n", s.addr, m.what, s.message)
		})
	}
	return mux
}

func (s *site) page(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	m, recovered := s.current()
	switch m {
	case modeHang:
		select {
		case <-recovered:
		case <-r.Context().Done():
			return
		}
	case modeFail:
		http.Error(w, fmt.Sprintf("%s: failing on purpose (GET /recover to undo)", s.message), http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!DOCTYPE html>
<html>
<head><title>Hello world!</title></head>
<body>
<h1>%s</h1>
<p>Served by %s (demosite pid %d, mode %s) for Host %s</p>
</body>
</html>
`, html.EscapeString(s.message), s.addr, os.Getpid(), modeNames[m], html.EscapeString(r.Host))
}
