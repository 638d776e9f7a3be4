package health

import (
	"strings"
	"testing"
	"time"
)

func TestWithDefaults(t *testing.T) {
	c := Check{Type: TypeHTTP}.WithDefaults("hello.avi.iberia.local.")
	want := Check{Type: TypeHTTP, Method: "GET", Path: "/", Host: "hello.avi.iberia.local", ExpectStatus: "200-399",
		Port: 80, Interval: 2 * time.Second, Timeout: time.Second, Rise: 2, Fall: 3}
	if c != want {
		t.Errorf("defaults\n got %+v\nwant %+v", c, want)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
	// The promise of the defaults: a dead member is down within 10 s.
	if worst := time.Duration(c.Fall)*c.Interval + c.Timeout; worst > 10*time.Second {
		t.Errorf("the defaults mark a dead member down after up to %v", worst)
	}
	if c := (Check{Type: TypeHTTPS}).WithDefaults("a."); c.Port != 443 {
		t.Errorf("https port %d, want 443", c.Port)
	}
	if c := (Check{Type: TypeHTTP, Interval: 200 * time.Millisecond}).WithDefaults("a."); c.Timeout != 100*time.Millisecond {
		t.Errorf("timeout %v with interval 200ms, want half the interval", c.Timeout)
	}
	if c := (Check{Type: TypeTCP}).WithDefaults("a."); c.Port != 0 || c.Path != "" {
		t.Errorf("tcp defaults %+v: no port, no HTTP fields", c)
	}
}

func TestValidate(t *testing.T) {
	ok := Check{Type: TypeHTTP}.WithDefaults("a.example.")
	tests := []struct {
		name string
		edit func(*Check)
		want string
	}{
		{"timeout not below interval", func(c *Check) { c.Timeout = c.Interval }, "timeout 2s must be at least 10ms and less than the interval 2s"},
		{"interval too short", func(c *Check) { c.Interval, c.Timeout = 50*time.Millisecond, 20*time.Millisecond }, "interval 50ms must be between 100ms and 1h0m0s"},
		{"rise 0", func(c *Check) { c.Rise = -1 }, "rise -1 must be between 1 and 100"},
		{"fall too large", func(c *Check) { c.Fall = 101 }, "fall 101 must be between 1 and 100"},
		{"no port", func(c *Check) { c.Port = 0 }, "http needs a port (port, or probePort on every member)"},
		{"method", func(c *Check) { c.Method = "POST" }, `method "POST" is not one of GET, HEAD`},
		{"relative path", func(c *Check) { c.Path = "healthz" }, `path "healthz" must start with /`},
		{"path with a space", func(c *Check) { c.Path = "/a b" }, `path "/a b" must be at most 1024 printable characters without spaces`},
		{"host with CRLF", func(c *Check) { c.Host = "a\r\nX: y" }, `host "a\r\nX: y" must be a host name`},
		{"status", func(c *Check) { c.ExpectStatus = "200-99" }, `expectStatus "200-99": "200-99": the range is reversed`},
		{"body with HEAD", func(c *Check) { c.Method, c.BodyContains = "HEAD", "ok" }, "bodyContains needs a body: use method GET, not HEAD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.edit(&c)
			err := c.Validate()
			if err == nil || err.Error() != tt.want {
				t.Errorf("error %v, want %s", err, tt.want)
			}
		})
	}
}

func TestStatusRanges(t *testing.T) {
	r, err := ParseStatusRanges("404, 200-299,300-399 ,204")
	if err != nil {
		t.Fatal(err)
	}
	if s := CanonicalStatus(r); s != "200-399,404" {
		t.Errorf("canonical %q", s)
	}
	for code, want := range map[int]bool{199: false, 200: true, 302: true, 399: true, 400: false, 404: true, 503: false} {
		if statusOK(r, code) != want {
			t.Errorf("code %d: ok %v, want %v", code, !want, want)
		}
	}
	for _, bad := range []string{"", "2xx", "99", "600", "300-200", "200-", "200,,300"} {
		if _, err := ParseStatusRanges(bad); err == nil || !strings.HasPrefix(err.Error(), "expectStatus ") {
			t.Errorf("%q: error %v", bad, err)
		}
	}
}

func TestParseType(t *testing.T) {
	for s, want := range map[string]Type{"http": TypeHTTP, "HTTPS": TypeHTTPS, "tcp": TypeTCP, "None": TypeNone} {
		if got, err := ParseType(s); err != nil || got != want {
			t.Errorf("%q: %v %v", s, got, err)
		}
	}
	if _, err := ParseType("icmp"); err == nil || err.Error() != `type "icmp" is not one of http, https, tcp, none` {
		t.Errorf("icmp: %v", err)
	}
}
