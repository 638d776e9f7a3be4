package filesource

import (
	"errors"
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/syncer/health"
)

const checkedExample = `defaults:
  healthCheck: {type: http, path: /, port: 80, interval: 2s, timeout: 1s, rise: 2, fall: 3, expectStatus: "200-399"}
records:
  - fqdn: hello.avi.iberia.local
    healthCheck: {type: http, port: 8080, host: hello.avi.iberia.local, bodyContains: "resides"}
    members:
      - {cluster: s1az1, address: 127.0.0.11, weight: 6, probePort: 18080}
      - {cluster: s1az2, address: 127.0.0.12, weight: 4}
      - {hostname: lb.example.net}
  - fqdn: plain.avi.iberia.local
    members: [{address: 10.0.0.1}]
  - fqdn: off.avi.iberia.local
    healthCheck: {type: none}
    members: [{address: 10.0.0.2}]
  - fqdn: tls.avi.iberia.local
    healthCheck:
      type: https
      sni: tls.example
      insecureSkipVerify: true
      expectStatus: 204, 200-299
      method: head
    members: [{address: "2001:DB8::1"}]
  - fqdn: tcp.avi.iberia.local
    healthCheck: {type: tcp, port: 5432, interval: 500ms, timeout: 200ms, rise: 1}
    members: [{address: 10.0.0.3}]
`

func TestParseChecks(t *testing.T) {
	recs, err := Parse("members.yaml", []byte(checkedExample))
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]*gslbv1.Record{}
	for _, r := range recs {
		by[r.Fqdn] = r
	}
	base := health.Check{Type: health.TypeHTTP, Method: "GET", Path: "/", ExpectStatus: "200-399",
		Interval: 2 * time.Second, Timeout: time.Second, Rise: 2, Fall: 3}

	hello := by["hello.avi.iberia.local."]
	if len(health.ChecksOf(hello)) != 3 || health.ChecksOf(hello)[2] != nil {
		t.Fatalf("hello checks %v: want two, none for the hostname", health.ChecksOf(hello))
	}
	want := base
	want.Host, want.BodyContains, want.Port = "hello.avi.iberia.local", "resides", 18080
	if *health.ChecksOf(hello)[0] != want {
		t.Errorf("member 1 (probePort)\n got %+v\nwant %+v", *health.ChecksOf(hello)[0], want)
	}
	want.Port = 8080
	if *health.ChecksOf(hello)[1] != want {
		t.Errorf("member 2\n got %+v\nwant %+v", *health.ChecksOf(hello)[1], want)
	}

	want = base
	want.Host, want.Port = "plain.avi.iberia.local", 80
	if c := health.ChecksOf(by["plain.avi.iberia.local."]); len(c) != 1 || *c[0] != want {
		t.Errorf("plain (defaults only): %v, want %+v", c, want)
	}
	if c := health.ChecksOf(by["off.avi.iberia.local."]); c != nil {
		t.Errorf("type none: checks %v", c)
	}
	want = base
	want.Type, want.Method, want.Host, want.SNI, want.InsecureSkipVerify, want.ExpectStatus, want.Port =
		health.TypeHTTPS, "HEAD", "tls.avi.iberia.local", "tls.example", true, "200-299", 80
	if c := health.ChecksOf(by["tls.avi.iberia.local."]); len(c) != 1 || *c[0] != want {
		t.Errorf("https\n got %+v\nwant %+v", *c[0], want)
	}
	want = health.Check{Type: health.TypeTCP, Port: 5432, Interval: 500 * time.Millisecond, Timeout: 200 * time.Millisecond, Rise: 1, Fall: 3}
	if c := health.ChecksOf(by["tcp.avi.iberia.local."]); len(c) != 1 || *c[0] != want {
		t.Errorf("tcp (the HTTP fields of the defaults dropped)\n got %+v\nwant %+v", *c[0], want)
	}
}

func TestParseCheckDefaultsOnly(t *testing.T) {
	in := "defaults:\n  healthCheck: {}\nrecords:\n  - {fqdn: a.example., members: [{address: 10.0.0.1}]}\n"
	recs, err := Parse("m.yaml", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := health.Check{}.WithDefaults("a.example.")
	want.Type = health.TypeHTTP
	want = want.WithDefaults("a.example.")
	if c := health.ChecksOf(recs[0]); len(c) != 1 || *c[0] != want {
		t.Errorf("an empty healthCheck: %+v, want the defaults %+v", c, want)
	}
}

func TestParseCheckErrors(t *testing.T) {
	one := func(check string) string {
		return "records:\n  - fqdn: a.example.\n    healthCheck: " + check + "\n    members:\n      - {address: 10.0.0.1}\n"
	}
	tests := []struct{ name, in, want string }{
		{"not a mapping", one("http"), `m.yaml:3: record "a.example.": healthCheck must be a mapping, got "http"`},
		{"unknown key", one("{type: http, every: 2s}"),
			`m.yaml:3: record "a.example.": healthCheck: unknown key "every" (want type, method, path, host, expectStatus, bodyContains, sni, insecureSkipVerify, port, interval, timeout, rise, fall)`},
		{"type", one("{type: icmp}"), `m.yaml:3: record "a.example.": healthCheck: type "icmp" is not one of http, https, tcp, none`},
		{"method", one("{method: POST}"), `m.yaml:3: record "a.example.": healthCheck: method "POST" is not one of GET, HEAD`},
		{"timeout not below interval", one("{interval: 2s, timeout: 2s}"),
			`m.yaml:3: record "a.example.": healthCheck: timeout 2s must be at least 10ms and less than the interval 2s`},
		{"timeout of the defaults", "defaults:\n  healthCheck:\n    timeout: 1s\nrecords:\n  - fqdn: a.example.\n    healthCheck: {interval: 1s}\n    members: [{address: 10.0.0.1}]\n",
			`m.yaml:6: record "a.example.": healthCheck: timeout 1s must be at least 10ms and less than the interval 1s`},
		{"error from the defaults alone", "defaults:\n  healthCheck:\n    interval: 50ms\nrecords:\n  - fqdn: a.example.\n    members: [{address: 10.0.0.1}]\n",
			`m.yaml:3: record "a.example.": healthCheck: interval 50ms must be between 100ms and 1h0m0s`},
		{"rise 0", one("{rise: 0}"), `m.yaml:3: record "a.example.": healthCheck: rise 0 must be between 1 and 100`},
		{"fall negative", one("{fall: -1}"), `m.yaml:3: record "a.example.": healthCheck: fall -1 must be between 1 and 100`},
		{"port 0", one("{port: 0}"), `m.yaml:3: record "a.example.": healthCheck: port 0 must be between 1 and 65535`},
		{"port too large", one("{port: 70000}"), `m.yaml:3: record "a.example.": healthCheck: port 70000 must be between 1 and 65535`},
		{"port not a number", one("{port: http}"), `m.yaml:3: record "a.example.": healthCheck: port "http" is not a whole number`},
		{"interval a number", one("{interval: 2}"), `m.yaml:3: record "a.example.": healthCheck: interval must be a duration like "2s" or "500ms", got 2`},
		{"interval not a duration", one("{interval: soon}"), `m.yaml:3: record "a.example.": healthCheck: interval "soon" is not a positive duration like "2s" or "500ms"`},
		{"expectStatus", one(`{expectStatus: "2xx"}`), `m.yaml:3: record "a.example.": healthCheck: expectStatus "2xx": "2xx" is not a code or a range like 200-399`},
		{"path", one("{path: healthz}"), `m.yaml:3: record "a.example.": healthCheck: path "healthz" must start with /`},
		{"empty body", one(`{bodyContains: ""}`), `m.yaml:3: record "a.example.": healthCheck: bodyContains is empty: leave it out to check the status only`},
		{"body with HEAD", one(`{method: HEAD, bodyContains: ok}`), `m.yaml:3: record "a.example.": healthCheck: bodyContains needs a body: use method GET, not HEAD`},
		{"insecure not a bool", one(`{type: https, insecureSkipVerify: "yes"}`), `m.yaml:3: record "a.example.": healthCheck: insecureSkipVerify must be true or false, got "yes"`},
		{"sni on http", one("{sni: a.example}"), `m.yaml:3: record "a.example.": healthCheck: sni applies to type https only`},
		{"path on tcp", "records:\n  - fqdn: a.example.\n    healthCheck:\n      type: tcp\n      port: 22\n      path: /\n    members: [{address: 10.0.0.1}]\n",
			`m.yaml:6: record "a.example.": healthCheck: path does not apply to type tcp`},
		{"tcp without port", "records:\n  - fqdn: a.example.\n    healthCheck: {type: tcp}\n    members:\n      - {address: 10.0.0.1, probePort: 22}\n      - {address: 10.0.0.2, cluster: c2}\n",
			`m.yaml:6: record "a.example.": member 2 (10.0.0.2 in c2): healthCheck: tcp needs a port (port, or probePort on every member)`},
		{"probePort", "records:\n  - fqdn: a.example.\n    members:\n      - {address: 10.0.0.1, probePort: 0}\n",
			`m.yaml:4: record "a.example.": member 1 (10.0.0.1): probePort 0 must be between 1 and 65535`},
		{"defaults: unknown key", "defaults:\n  healthCheck: {tyep: http}\nrecords: []\n",
			`m.yaml:2: defaults: healthCheck: unknown key "tyep" (want type, method, path, host, expectStatus, bodyContains, sni, insecureSkipVerify, port, interval, timeout, rise, fall)`},
		{"defaults: path on tcp", "defaults:\n  healthCheck: {type: tcp, path: /}\nrecords: []\n", `m.yaml:2: defaults: healthCheck: path does not apply to type tcp`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("m.yaml", []byte(tt.in))
			if err == nil || err.Error() != tt.want {
				t.Errorf("error\n got %v\nwant %s", err, tt.want)
			}
			var pe *ParseError
			if err != nil && !errors.As(err, &pe) {
				t.Errorf("a %T, want a *ParseError", err)
			}
		})
	}
}

// Fields of the defaults that do not apply to a record's type are ignored;
// the record's own type wins.
func TestParseCheckInheritance(t *testing.T) {
	in := `defaults:
  healthCheck: {type: https, sni: x.example, path: /ready, interval: 5s, port: 8443}
records:
  - {fqdn: a.example., healthCheck: {type: tcp}, members: [{address: 10.0.0.1}]}
  - {fqdn: b.example., healthCheck: {type: http, port: 80}, members: [{address: 10.0.0.1}]}
  - {fqdn: c.example., members: [{address: 10.0.0.1, health: down}]}
`
	recs, err := Parse("m.yaml", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if c := *health.ChecksOf(recs[0])[0]; c.Type != health.TypeTCP || c.Port != 8443 || c.Path != "" || c.SNI != "" || c.Interval != 5*time.Second {
		t.Errorf("tcp over https defaults: %+v", c)
	}
	if c := *health.ChecksOf(recs[1])[0]; c.Type != health.TypeHTTP || c.Port != 80 || c.Path != "/ready" || c.SNI != "" || c.Host != "b.example" {
		t.Errorf("http over https defaults: %+v", c)
	}
	if c := *health.ChecksOf(recs[2])[0]; c.Type != health.TypeHTTPS || c.SNI != "x.example" || c.Host != "c.example" {
		t.Errorf("defaults: %+v", c)
	}
}
