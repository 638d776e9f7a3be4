package gslbmetrics

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// A listener stays open while any server block holds it (a reload starts
// the new blocks before it stops the old ones) and closes with the last.
func TestListenerRefCount(t *testing.T) {
	l := &listeners{byAddr: map[string]*listener{}, gather: httpListeners.gather}
	const addr = "127.0.0.1:0"
	if err := l.start(addr); err != nil {
		t.Fatal(err)
	}
	if err := l.start(addr); err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.boundAddr(addr) + "/metrics"
	get := func() (string, error) {
		resp, err := http.Get(url)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	if body, err := get(); err != nil || !strings.Contains(body, "go_goroutines") {
		t.Fatalf("GET /metrics: %v, go_goroutines missing: %t", err, !strings.Contains(body, "go_goroutines"))
	}
	if err := l.stop(addr); err != nil {
		t.Fatal(err)
	}
	if _, err := get(); err != nil {
		t.Fatalf("after the first of two stops: %v", err)
	}
	if err := l.stop(addr); err != nil {
		t.Fatal(err)
	}
	if _, err := get(); err == nil {
		t.Fatal("still serving after the last stop")
	}
}
