package health

import (
	"context"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// serve starts an HTTP server on 127.0.0.1 and returns it with its target,
// an http check with a short timeout.
func serve(t *testing.T, h http.HandlerFunc) (*httptest.Server, Target) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, targetOf(t, srv.Listener.Addr(), TypeHTTP)
}

func targetOf(t *testing.T, a net.Addr, typ Type) Target {
	t.Helper()
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		t.Fatal(err)
	}
	c := Check{Type: typ, Port: ap.Port(), Interval: 2 * time.Second, Timeout: time.Second}.WithDefaults("hello.avi.iberia.local.")
	return Target{Address: ap.Addr().String(), Check: c}
}

func probe(t Target) Result {
	ctx, cancel := context.WithTimeout(context.Background(), t.Check.Timeout)
	defer cancel()
	var d net.Dialer
	return Probe(ctx, d.DialContext, t)
}

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) net.Addr {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := l.Addr()
	l.Close()
	return a
}

func TestProbeHTTP(t *testing.T) {
	page := "<h1>This service resides in SITE1 AZ1</h1>"
	var gotHost, gotMethod, gotPath, gotConn atomic.Value
	_, tgt := serve(t, func(w http.ResponseWriter, r *http.Request) {
		gotHost.Store(r.Host)
		gotMethod.Store(r.Method)
		gotPath.Store(r.URL.RequestURI())
		gotConn.Store(r.Header.Get("Connection"))
		switch r.URL.Path {
		case "/503":
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
		case "/404":
			http.NotFound(w, r)
		case "/moved":
			http.Redirect(w, r, "/503", http.StatusFound)
		case "/big":
			w.Write([]byte(strings.Repeat("x", MaxBodyRead) + "resides"))
		default:
			w.Write([]byte(page))
		}
	})
	tests := []struct {
		name string
		edit func(*Check)
		ok   bool
		want string
	}{
		{"200", func(c *Check) {}, true, "HTTP 200 from GET /"},
		{"503", func(c *Check) { c.Path = "/503" }, false, "HTTP 503 from GET /503"},
		{"redirect not followed", func(c *Check) { c.Path = "/moved" }, true, "HTTP 302 from GET /moved"},
		{"404 expected", func(c *Check) { c.Path, c.ExpectStatus = "/404", "404" }, true, "HTTP 404 from GET /404"},
		{"200 not expected", func(c *Check) { c.ExpectStatus = "204" }, false, "HTTP 200 from GET /"},
		{"body contains", func(c *Check) { c.BodyContains = "resides" }, true, "HTTP 200 from GET /"},
		{"body lacks", func(c *Check) { c.BodyContains = "SITE2" }, false, `body lacks "SITE2"`},
		{"body beyond the limit", func(c *Check) { c.Path, c.BodyContains = "/big", "resides" }, false, `body lacks "resides"`},
		{"HEAD", func(c *Check) { c.Method = "HEAD" }, true, "HTTP 200 from HEAD /"},
		{"query", func(c *Check) { c.Path = "/?probe=1" }, true, "HTTP 200 from GET /?probe=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := tgt
			tt.edit(&tg.Check)
			r := probe(tg)
			if r.OK != tt.ok || r.Reason != tt.want {
				t.Errorf("got %+v, want ok=%v %q", r, tt.ok, tt.want)
			}
			if gotMethod.Load() != tg.Check.Method || gotPath.Load() != tg.Check.Path {
				t.Errorf("server saw %v %v", gotMethod.Load(), gotPath.Load())
			}
		})
	}
	if gotHost.Load() != "hello.avi.iberia.local" || gotConn.Load() != "close" {
		t.Errorf("Host %q, Connection %q: want the record's name and close", gotHost.Load(), gotConn.Load())
	}
}

func TestProbeFailures(t *testing.T) {
	release := make(chan struct{})
	_, hang := serve(t, func(w http.ResponseWriter, r *http.Request) { <-release })
	t.Cleanup(func() { close(release) }) // before the server's Close, which waits for the handler

	// A server that takes the connection but never reads or answers.
	mute, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mute.Close() })

	// A server that reads the request and closes the connection.
	rude, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rude.Close() })
	go func() {
		for {
			c, err := rude.Accept()
			if err != nil {
				return
			}
			c.SetReadDeadline(time.Now().Add(time.Second))
			c.Read(make([]byte, 4096))
			c.Close()
		}
	}()
	// One that answers garbage.
	garbage, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { garbage.Close() })
	go func() {
		for {
			c, err := garbage.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("SSH-2.0-OpenSSH_9.6\r\n"))
			c.Close()
		}
	}()

	tests := []struct {
		name   string
		target Target
		want   string
	}{
		{"hang past the timeout", hang, "timeout after 1s"},
		{"no answer", targetOf(t, mute.Addr(), TypeHTTP), "timeout after 1s"},
		{"refused", targetOf(t, closedPort(t), TypeHTTP), "connect: connection refused"},
		{"tcp refused", targetOf(t, closedPort(t), TypeTCP), "connect: connection refused"},
		{"closed without an answer", targetOf(t, rude.Addr(), TypeHTTP), "connection closed before a complete response"},
		{"not HTTP", targetOf(t, garbage.Addr(), TypeHTTP), `malformed HTTP response "SSH-2.0-OpenSSH_9.6"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			r := probe(tt.target)
			if r.OK || !strings.Contains(r.Reason, tt.want) {
				t.Errorf("got %+v, want a failure with %q", r, tt.want)
			}
			if d := time.Since(start); d > tt.target.Check.Timeout+time.Second {
				t.Errorf("the probe took %v, timeout %v", d, tt.target.Check.Timeout)
			}
		})
	}
	if r := probe(targetOf(t, mute.Addr(), TypeTCP)); !r.OK || r.Reason != "TCP connect ok" {
		t.Errorf("tcp to a listener: %+v", r)
	}
}

func TestProbeHTTPS(t *testing.T) {
	var sni atomic.Value
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sni.Store(r.TLS.ServerName)
		w.Write([]byte("secure"))
	}))
	t.Cleanup(srv.Close)
	tgt := targetOf(t, srv.Listener.Addr(), TypeHTTPS)

	// The first verification loads the system's roots, once per process:
	// more than the probe's 1 s timeout under the race detector on a busy
	// machine. Load them before, outside the probe's deadline.
	if _, err := x509.SystemCertPool(); err != nil {
		t.Logf("system roots: %v", err)
	}
	r := probe(tgt)
	if r.OK || !strings.HasPrefix(r.Reason, "TLS handshake: ") || !strings.Contains(r.Reason, "certificate") {
		t.Errorf("an untrusted certificate: %+v, want a TLS failure", r)
	}
	tgt.Check.InsecureSkipVerify = true
	tgt.Check.BodyContains = "secure"
	if r := probe(tgt); !r.OK || r.Reason != "HTTP 200 from GET /" {
		t.Errorf("insecureSkipVerify: %+v", r)
	}
	if sni.Load() != "hello.avi.iberia.local" {
		t.Errorf("SNI %q, want the Host by default", sni.Load())
	}
	tgt.Check.SNI = "sni.example"
	probe(tgt)
	if sni.Load() != "sni.example" {
		t.Errorf("SNI %q, want sni.example", sni.Load())
	}
	// Plain HTTP to a TLS port.
	tgt.Check.Type = TypeHTTP
	if r := probe(tgt); r.OK || !strings.Contains(r.Reason, "HTTP 400") {
		t.Errorf("http to an https port: %+v", r)
	}
}

func TestProbeUsesTheDialer(t *testing.T) {
	_, tgt := serve(t, func(w http.ResponseWriter, r *http.Request) {})
	var dialed []string
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		dialed = append(dialed, network+" "+addr)
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if r := Probe(ctx, dial, tgt); !r.OK {
		t.Fatal(r)
	}
	if want := "tcp 127.0.0.1:" + strconv.Itoa(int(tgt.Check.Port)); len(dialed) != 1 || dialed[0] != want {
		t.Errorf("dialed %v, want [%s]", dialed, want)
	}
	tgt.Address = "::1"
	if tgt.HostPort() != "[::1]:"+strconv.Itoa(int(tgt.Check.Port)) {
		t.Errorf("HostPort %s", tgt.HostPort())
	}
}
