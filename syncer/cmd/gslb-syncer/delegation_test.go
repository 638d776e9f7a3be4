package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gslbdns/gslb/syncer/delegation"
)

// electedSource is a source with a site election whose result the test sets.
type electedPlane struct {
	controlPlane
	leading bool
}

func (e *electedPlane) SiteLeader() bool { return e.leading }

// The delegation follows the source's site election when it has one, and
// leads without one.
func TestSiteLeader(t *testing.T) {
	if !siteLeader(nil)() {
		t.Error("a syncer without a site election: not leading, want leading")
	}
	e := &electedPlane{}
	gate := siteLeader(e)
	if gate() {
		t.Error("a follower of its site's election leads the delegation")
	}
	e.leading = true
	if !gate() {
		t.Error("the site's leader does not lead the delegation")
	}
}

// /status/delegation: 404 without --delegation; with it, the Runner's
// status as JSON: starting, then waiting for this site's DNS (no plugin
// serves here).
func TestDelegationStatusRoute(t *testing.T) {
	get := func(h http.Handler) (int, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/status/delegation", nil))
		return rec.Code, rec.Body.String()
	}
	if code, body := get(&delegationKeeper{}); code != http.StatusNotFound || !strings.Contains(body, "no --delegation") {
		t.Errorf("without --delegation: %d %q, want 404 saying so", code, body)
	}
	dir := t.TempDir()
	key := filepath.Join(dir, "a.key")
	conf := filepath.Join(dir, "delegation.yaml")
	writeFile(t, key, "key \"gslb-a\" { algorithm hmac-sha256; secret \"c2VjcmV0\"; };\n")
	writeFile(t, conf, "zone: avi.iberia.local\nnameServer: {name: g-dns-a.iberia.local, addresses: [192.0.2.53]}\n"+
		"interval: 10ms\nreadiness: {siteDNS: false}\nrfc2136: {server: 192.0.2.10:53, parentZone: iberia.local, keyFile: "+key+"}\n")
	d, err := newDelegation(conf, nil, nil, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	state := func() string {
		code, body := get(d)
		var st delegation.StatusAt
		if err := json.Unmarshal([]byte(body), &st); code != http.StatusOK || err != nil || len(st.Outputs) != 1 {
			t.Fatalf("%d %q (%v), want one output", code, body, err)
		}
		return string(st.Outputs[0].State)
	}
	if s := state(); s != "starting" {
		t.Errorf("before the first check: %s, want starting", s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	d.start(ctx, &wg, slog.New(slog.DiscardHandler))
	defer func() { cancel(); wg.Wait() }()
	deadline := time.Now().Add(10 * time.Second)
	for s := state(); s != "waiting-for-ready"; s = state() {
		if time.Now().After(deadline) {
			t.Fatalf("no plugin serves: %s, want waiting-for-ready", s)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
