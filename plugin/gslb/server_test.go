package gslb

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"github.com/gslbdns/gslb/test/testca"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// testRegistry is a registry of its own, so tests do not share feeds.
func testRegistry() *registry {
	return &registry{feeds: map[string]*feed{}, now: time.Now, rng: runtimeRand{}, reg: prometheus.NewRegistry()}
}

// shortDir returns a directory with a path short enough for a unix socket.
func shortDir(t *testing.T) string {
	d, err := os.MkdirTemp("", "gslb")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func startTestFeed(t *testing.T, r *registry, listen string, tlsArgs []string, persist string) *feed {
	t.Helper()
	f, err := r.get(listen, tlsArgs, persist)
	if err != nil {
		t.Fatal(err)
	}
	f.addZones([]string{zone})
	if err := r.start(f); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.stop(f) })
	return f
}

func dialUnix(t *testing.T, path string) gslbv1.TableClient {
	conn, err := grpc.NewClient("unix://"+path, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return gslbv1.NewTableClient(conn)
}

// push sends one apply in chunks of n records.
func push(ctx context.Context, c gslbv1.TableClient, h *gslbv1.ApplyHeader, recs []*gslbv1.Record, deletes []string, n int) (*gslbv1.ApplyResponse, error) {
	s, err := c.Apply(ctx)
	if err != nil {
		return nil, err
	}
	first := &gslbv1.ApplyChunk{Header: h, Deletes: deletes}
	if err := s.Send(first); err != nil {
		return nil, err
	}
	for i := 0; i < len(recs); i += n {
		if err := s.Send(&gslbv1.ApplyChunk{Upserts: recs[i:min(i+n, len(recs))]}); err != nil {
			return nil, err
		}
	}
	return s.CloseAndRecv()
}

func TestGRPCUnix(t *testing.T) {
	dir := shortDir(t)
	sock := filepath.Join(dir, "gslb.sock")
	r := testRegistry()
	f := startTestFeed(t, r, "unix://"+sock, nil, "")

	fi, err := os.Stat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 || fi.Mode()&os.ModeSocket == 0 {
		t.Fatalf("socket mode %v, want a 0600 socket", fi.Mode())
	}

	c := dialUnix(t, sock)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	st, err := c.Status(ctx, &gslbv1.StatusRequest{})
	if err != nil || st.GetVersion() != 0 || len(st.GetZones()) != 1 || st.GetZones()[0] != zone {
		t.Fatalf("status before any push: %v %v", st, err)
	}

	// A FULL in small chunks.
	resp, err := push(ctx, c, &gslbv1.ApplyHeader{Kind: gslbv1.Kind_KIND_FULL}, scenarioTable(), nil, 3)
	if err != nil {
		t.Fatal(err)
	}
	if int(resp.GetRecords()) != len(scenarioTable()) || resp.GetVersion() == 0 {
		t.Fatalf("apply response %v", resp)
	}

	// A DELTA on the wrong base is FailedPrecondition; an invalid one InvalidArgument.
	_, err = push(ctx, c, &gslbv1.ApplyHeader{Kind: gslbv1.Kind_KIND_DELTA, BaseVersion: resp.GetVersion() + 5}, nil, []string{"hello.avi.iberia.local"}, 10)
	if status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("delta on a wrong base: %v, want FailedPrecondition", err)
	}
	_, err = push(ctx, c, &gslbv1.ApplyHeader{Kind: gslbv1.Kind_KIND_DELTA, BaseVersion: resp.GetVersion()},
		[]*gslbv1.Record{rec("hello.avi.iberia.local", mem("192.0.2.300", 1))}, nil, 10)
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), `record "hello.avi.iberia.local."`) {
		t.Fatalf("invalid delta: %v, want InvalidArgument naming the record", err)
	}
	// A stream with no header.
	s, _ := c.Apply(ctx)
	s.Send(&gslbv1.ApplyChunk{Upserts: scenarioTable()})
	if _, err := s.CloseAndRecv(); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("headerless apply: %v", err)
	}
	if f.table.Load().Version() != resp.GetVersion() {
		t.Fatal("a refused push changed the table")
	}

	// Dump returns what was pushed.
	ds, err := c.Dump(ctx, &gslbv1.DumpRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var got []*gslbv1.Record
	var dumpStatus *gslbv1.StatusResponse
	for {
		ch, err := ds.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if ch.GetStatus() != nil {
			dumpStatus = ch.GetStatus()
		}
		got = append(got, ch.GetRecords()...)
	}
	if len(got) != len(scenarioTable()) || dumpStatus.GetVersion() != resp.GetVersion() {
		t.Fatalf("dump: %d records, status %v", len(got), dumpStatus)
	}
}

// A table of 100k records goes through in chunks under the default 4 MiB
// message limit, and a whole-table push is applied at once.
func TestGRPCLargeTable(t *testing.T) {
	dir := shortDir(t)
	sock := filepath.Join(dir, "gslb.sock")
	f := startTestFeed(t, testRegistry(), "unix://"+sock, nil, "")
	c := dialUnix(t, sock)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	recs := bigTable(100_000)
	resp, err := push(ctx, c, &gslbv1.ApplyHeader{Kind: gslbv1.Kind_KIND_FULL}, recs, nil, 5000)
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetRecords() != 100_000 || f.table.Load().Len() != 100_000 {
		t.Fatalf("records %d", resp.GetRecords())
	}
}

func bigTable(n int) []*gslbv1.Record {
	recs := make([]*gslbv1.Record, n)
	for i := range recs {
		recs[i] = &gslbv1.Record{
			Fqdn: fmt.Sprintf("app-%d.avi.iberia.local.", i),
			Ttl:  proto.Uint32(30),
			Members: []*gslbv1.Member{
				{Address: fmt.Sprintf("127.%d.%d.1", i>>8&255, i&255), Weight: 6, Cluster: "s1az1", Site: "site1"},
				{Address: fmt.Sprintf("127.%d.%d.2", i>>8&255, i&255), Weight: 4, Cluster: "s1az2", Site: "site1"},
				{Address: fmt.Sprintf("127.%d.%d.3", i>>8&255, i&255), Weight: 2, Cluster: "s2", Site: "site2"},
			},
		}
	}
	return recs
}

func TestGRPCMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca, err := testca.WriteDir(dir, "gslb-plugin", "gslb-syncer")
	if err != nil {
		t.Fatal(err)
	}
	file := func(name string) string { return filepath.Join(dir, name) }

	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	startTestFeed(t, testRegistry(), "tcp://"+addr,
		[]string{file("gslb-plugin.crt"), file("gslb-plugin.key"), file("ca.crt")}, "")

	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	call := func(withCert bool) error {
		cfg := &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS13}
		if withCert {
			pair, err := tls.LoadX509KeyPair(file("gslb-syncer.crt"), file("gslb-syncer.key"))
			if err != nil {
				t.Fatal(err)
			}
			cfg.Certificates = []tls.Certificate{pair}
		}
		conn, err := grpc.NewClient("passthrough:///"+addr, grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err = gslbv1.NewTableClient(conn).Status(ctx, &gslbv1.StatusRequest{})
		return err
	}
	if err := call(true); err != nil {
		t.Fatalf("with a client certificate: %v", err)
	}
	if err := call(false); err == nil {
		t.Fatal("without a client certificate the call succeeded")
	}
}
