package gslbctl

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// sites starts one HTTP server per address on the same port, like the
// scenario's hello-kubernetes in three clusters.
func sites(t *testing.T, addrs ...string) int {
	t.Helper()
	for port := 20000 + time.Now().Nanosecond()%20000; ; port++ {
		var lns []net.Listener
		ok := true
		for _, a := range addrs {
			ln, err := net.Listen("tcp", fmt.Sprintf("%s:%d", a, port))
			if err != nil {
				ok = false
				break
			}
			lns = append(lns, ln)
		}
		if !ok {
			for _, ln := range lns {
				ln.Close()
			}
			continue
		}
		for i, ln := range lns {
			msg := fmt.Sprintf("This service resides in SITE %d", i+1)
			srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Host != fmt.Sprintf("hello.avi.iberia.local:%d", port) {
					http.Error(w, "wrong host "+r.Host, http.StatusBadRequest)
					return
				}
				fmt.Fprintf(w, "<html><head><title>Hello</title></head><body><div>\n<h2>%s</h2></div></body></html>", msg)
			})}
			go srv.Serve(ln)
			t.Cleanup(func() { srv.Close() })
		}
		return port
	}
}

func TestWatch(t *testing.T) {
	addrs := []string{"127.0.0.11", "127.0.0.12", "127.0.0.13"}
	port := sites(t, addrs...)
	q := &wrrServer{sched: []string{"127.0.0.11", "127.0.0.12", "127.0.0.11", "127.0.0.13", "127.0.0.12", "127.0.0.11"}}
	var out bytes.Buffer
	rounds, err := Watch(context.Background(), WatchOptions{
		URL: fmt.Sprintf("http://hello.avi.iberia.local:%d/", port), Server: "x", Client: q,
		Interval: time.Millisecond, Count: 12, Sites: map[string]string{"127.0.0.13": "site2"},
	}, &out)
	if err != nil {
		t.Fatal(err)
	}
	perSite := map[string]int{}
	for _, r := range rounds {
		if r.Err != nil || r.Status != 200 {
			t.Fatalf("round %+v", r)
		}
		perSite[r.Message]++
	}
	if perSite["This service resides in SITE 1"] != 6 || perSite["This service resides in SITE 2"] != 4 || perSite["This service resides in SITE 3"] != 2 {
		t.Fatalf("messages per site %v, want 6:4:2", perSite)
	}
	if !strings.Contains(out.String(), "127.0.0.13       site2     200  This service resides in SITE 3") {
		t.Errorf("output:\n%s", out.String())
	}
}
