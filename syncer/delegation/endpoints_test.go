package delegation

import (
	"fmt"
	"net/netip"
	"testing"
)

// TestEndpointEdits: each site adds and removes only its own NS target and
// address endpoints; other endpoints are kept as they are.
func TestEndpointEdits(t *testing.T) {
	site := func(ns string, addrs ...string) *Endpoints {
		cfg := EndpointConfig{Zone: "avi.iberia.local.", NS: ns, TTL: 30}
		for _, a := range addrs {
			cfg.Addrs = append(cfg.Addrs, netip.MustParseAddr(a))
		}
		return &Endpoints{cfg: cfg}
	}
	a := site("g-dns-a.iberia.local.", "192.0.2.1", "2001:db8::1")
	b := site("g-dns-b.iberia.local.", "192.0.2.2")
	other := map[string]any{"dnsName": "www.iberia.local", "recordType": "CNAME", "targets": []any{"x"}, "setIdentifier": "keep"}

	eps := a.registered([]any{other})
	eps = b.registered(eps)
	want := "[www.iberia.local CNAME [x] keep]" +
		" [avi.iberia.local NS [g-dns-a.iberia.local g-dns-b.iberia.local] ]" +
		" [g-dns-a.iberia.local A [192.0.2.1] ] [g-dns-a.iberia.local AAAA [2001:db8::1] ]" +
		" [g-dns-b.iberia.local A [192.0.2.2] ]"
	if got := show(eps); got != want {
		t.Errorf("both registered:\n got %s\nwant %s", got, want)
	}
	if !equalEndpoints(eps, a.registered(eps)) {
		t.Errorf("registering A again changed the endpoints: %s", show(a.registered(eps)))
	}
	eps = a.withdrawn(eps)
	want = "[www.iberia.local CNAME [x] keep] [avi.iberia.local NS [g-dns-b.iberia.local] ] [g-dns-b.iberia.local A [192.0.2.2] ]"
	if got := show(eps); got != want {
		t.Errorf("A withdrawn:\n got %s\nwant %s", got, want)
	}
	if got := show(b.withdrawn(eps)); got != "[www.iberia.local CNAME [x] keep]" {
		t.Errorf("B withdrawn too: %s", got)
	}
	moved := site("g-dns-b.iberia.local.", "192.0.2.3")
	if got := targets(find(moved.registered(eps), "g-dns-b.iberia.local", "A")); fmt.Sprint(got) != "[192.0.2.3]" {
		t.Errorf("B at a new address: A %v, want [192.0.2.3]", got)
	}
}

func show(eps []any) string {
	out := ""
	for i, ep := range eps {
		m := ep.(map[string]any)
		if i > 0 {
			out += " "
		}
		id, _ := m["setIdentifier"].(string)
		out += fmt.Sprintf("[%s %s %v %s]", m["dnsName"], m["recordType"], targets(m), id)
	}
	return out
}
