package statuspage

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// gslbctl status's client: a page of the summary as a table; a syncer
// without the page is told apart.
func TestFetchAndWriteText(t *testing.T) {
	srv := serve(t, Options{Table: helloTable()})
	s, err := Fetch(context.Background(), srv.URL, "hello", 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := WriteText(&b, s); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{`1 of 2 records matching "hello"`, "127.0.0.11", "6→0", "down", "timeout after 1s",
		"down,drained", "site2/s2", "probes: alone"} {
		if !strings.Contains(out, want) {
			t.Errorf("the text lacks %q:\n%s", want, out)
		}
	}
	none := httptest.NewServer(http.NotFoundHandler())
	defer none.Close()
	if _, err := Fetch(context.Background(), none.URL, "", 0, 0); err == nil || !strings.Contains(err.Error(), "--status-page") {
		t.Errorf("no page: %v, want an error naming --status-page", err)
	}
}
