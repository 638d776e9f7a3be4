package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"text/template"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"

	"github.com/miekg/dns"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// StartTimeout bounds how long a server may take to answer after it is
// started (generous: the machine may be loaded).
const StartTimeout = 60 * time.Second

// startAttempts is how often StartCoreDNS tries with fresh ports when
// another process took one of them between the check and the bind.
const startAttempts = 5

// CoreDNS is a running bin/coredns-gslb.
type CoreDNS struct {
	*Process
	// Addr is the DNS address, 127.0.0.1:{{port "dns"}}.
	Addr string
	// Dir is this server's private directory (t.TempDir): Corefile, log.
	Dir string
	// SockDir is a short private directory for unix sockets; Sock is
	// SockDir/gslb.sock, the default gRPC listen path of the template.
	SockDir, Sock string
	// Persist is Dir/table.pb, the default persist path.
	Persist string
	// Corefile is the path of the rendered Corefile.
	Corefile string

	tmpl  *template.Template
	data  map[string]any
	ports map[string]int
}

// StartCoreDNS renders corefileTemplate (text/template) into a Corefile in a
// new temporary directory, starts coredns-gslb -conf on it and waits until
// the DNS port answers over UDP and TCP.
//
// The template sees vars plus these defaults (vars may override them):
// .Dir, .SockDir, .Sock (the gRPC socket path), .Persist (a persist file path).
// {{port "NAME"}} picks a free loopback port for NAME, the same one on every
// use; port "dns" is the DNS port and must be used, e.g.
//
//	avi.iberia.local:{{port "dns"}} {
//	    bind 127.0.0.1
//	    gslb { listen unix://{{.Sock}} }
//	    ready 127.0.0.1:{{port "ready"}}
//	}
//
// Ports are taken again only when the server fails to bind on start.
// t.Cleanup stops the server.
func StartCoreDNS(t testing.TB, corefileTemplate string, vars map[string]any) *CoreDNS {
	t.Helper()
	bin := Bin(t, "coredns-gslb")
	dir := t.TempDir()
	sockDir := SocketDir(t)
	c := &CoreDNS{
		Dir:      dir,
		SockDir:  sockDir,
		Sock:     filepath.Join(sockDir, "gslb.sock"),
		Persist:  filepath.Join(dir, "table.pb"),
		Corefile: filepath.Join(dir, "Corefile"),
		data: map[string]any{
			"Dir":     dir,
			"SockDir": sockDir,
		},
	}
	c.data["Sock"] = c.Sock
	c.data["Persist"] = c.Persist
	maps.Copy(c.data, vars)
	if s, ok := c.data["Sock"].(string); ok {
		c.Sock = s
	}
	if s, ok := c.data["Persist"].(string); ok {
		c.Persist = s
	}
	var err error
	c.tmpl, err = template.New("Corefile").Option("missingkey=error").Funcs(template.FuncMap{
		"port": c.port,
	}).Parse(corefileTemplate)
	if err != nil {
		t.Fatalf("harness: Corefile template: %v", err)
	}
	c.Process = newProcess(t, Cmd{Name: "coredns-gslb", Path: bin, Dir: dir, Args: []string{"-conf", c.Corefile}})

	for attempt := 1; ; attempt++ {
		c.ports = map[string]int{}
		if err := c.render(); err != nil {
			t.Fatalf("harness: %v", err)
		}
		err := c.startAndWait()
		if err == nil {
			return c
		}
		if attempt < startAttempts && strings.Contains(c.Stderr()+c.Log(), "address already in use") && c.Exited() {
			t.Logf("harness: coredns-gslb could not bind (attempt %d): retrying with new ports", attempt)
			c.markExpected()
			continue
		}
		t.Fatalf("harness: coredns-gslb did not start: %v\n--- Corefile ---\n%s\n--- log tail ---\n%s", err, c.corefileText(), c.Tail(40))
	}
}

func (c *CoreDNS) port(name string) (int, error) {
	if p, ok := c.ports[name]; ok {
		return p, nil
	}
	p, err := pickPort()
	if err != nil {
		return 0, err
	}
	c.ports[name] = p
	return p, nil
}

// Port is the port picked for name by {{port "NAME"}}.
func (c *CoreDNS) Port(name string) int {
	c.t.Helper()
	p, ok := c.ports[name]
	if !ok {
		c.t.Fatalf("harness: the Corefile template never used {{port %q}}", name)
	}
	return p
}

// HostPort is "127.0.0.1:PORT" for the port named name.
func (c *CoreDNS) HostPort(name string) string {
	c.t.Helper()
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(c.Port(name)))
}

func (c *CoreDNS) render() error {
	var b bytes.Buffer
	if err := c.tmpl.Execute(&b, c.data); err != nil {
		return fmt.Errorf("template of the Corefile: %v", err)
	}
	p, ok := c.ports["dns"]
	if !ok {
		return errors.New(`template of the Corefile: the DNS port must be {{port "dns"}}`)
	}
	c.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(p))
	return os.WriteFile(c.Corefile, b.Bytes(), 0o644)
}

func (c *CoreDNS) corefileText() string {
	b, _ := os.ReadFile(c.Corefile)
	return string(b)
}

// startAndWait starts a run and waits until DNS answers over UDP and TCP.
func (c *CoreDNS) startAndWait() error {
	if err := c.start(); err != nil {
		return err
	}
	done := c.Done()
	return Within(StartTimeout, func() error {
		select {
		case <-done:
			return Permanent(fmt.Errorf("coredns-gslb exited: %s", c.ExitText()))
		default:
		}
		for _, proto := range []string{"udp", "tcp"} {
			// Any answer will do (REFUSED for the root, SERVFAIL before the
			// first push): the server is listening.
			cl := &dns.Client{Net: proto, Timeout: 500 * time.Millisecond}
			if _, _, err := cl.Exchange(NewQuery(".", dns.TypeNS), c.Addr); err != nil {
				return fmt.Errorf("no DNS answer over %s from %s: %v", proto, c.Addr, err)
			}
		}
		return nil
	})
}

// Restart stops the server (SIGTERM) if it runs, starts it again on the same
// Corefile and ports, and waits until it answers.
func (c *CoreDNS) Restart() {
	c.t.Helper()
	if !c.Exited() {
		c.Stop()
	}
	if err := c.startAndWait(); err != nil {
		c.t.Fatalf("harness: coredns-gslb did not restart: %v\n--- log tail ---\n%s", err, c.Tail(40))
	}
}

// TableClient is a gRPC client of the server's Table API on Sock.
func (c *CoreDNS) TableClient() gslbv1.TableClient {
	c.t.Helper()
	return TableClient(c.t, c.Sock)
}

// Status asks the Table API for the served version.
func (c *CoreDNS) Status() (*gslbv1.StatusResponse, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := dialUnix(c.Sock)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return gslbv1.NewTableClient(conn).Status(ctx, &gslbv1.StatusRequest{})
}

// WaitLoaded waits until the server holds a table (version > 0) and returns
// its status.
func (c *CoreDNS) WaitLoaded(timeout time.Duration) *gslbv1.StatusResponse {
	c.t.Helper()
	var st *gslbv1.StatusResponse
	Eventually(c.t, timeout, func() error {
		var err error
		if st, err = c.Status(); err != nil {
			return err
		}
		if st.GetVersion() == 0 {
			return errors.New("no table loaded yet (version 0)")
		}
		return nil
	})
	return st
}

func dialUnix(sock string) (*grpc.ClientConn, error) {
	return grpc.NewClient("unix://"+sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
}

// TableClient is a gRPC client of the Table API on the unix socket sock;
// t.Cleanup closes it.
func TableClient(t testing.TB, sock string) gslbv1.TableClient {
	t.Helper()
	conn, err := dialUnix(sock)
	if err != nil {
		t.Fatalf("harness: gRPC client for unix://%s: %v", sock, err)
	}
	t.Cleanup(func() { conn.Close() })
	return gslbv1.NewTableClient(conn)
}
