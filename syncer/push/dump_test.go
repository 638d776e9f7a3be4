package push

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"testing"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// dumpServer answers Dump with its records, two per chunk, the status first.
type dumpServer struct {
	gslbv1.UnimplementedTableServer
	records []*gslbv1.Record
}

func (s *dumpServer) Dump(_ *gslbv1.DumpRequest, stream grpc.ServerStreamingServer[gslbv1.DumpChunk]) error {
	if err := stream.Send(&gslbv1.DumpChunk{Status: &gslbv1.StatusResponse{Version: 7, Records: uint32(len(s.records))}}); err != nil {
		return err
	}
	for i := 0; i < len(s.records); i += 2 {
		if err := stream.Send(&gslbv1.DumpChunk{Records: s.records[i:min(i+2, len(s.records))]}); err != nil {
			return err
		}
	}
	return nil
}

func TestDump(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "gslb.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	var recs []*gslbv1.Record
	for i := range 5 {
		recs = append(recs, &gslbv1.Record{Fqdn: fmt.Sprintf("r%d.example.", i), Members: []*gslbv1.Member{
			{Address: "10.0.0.1", Weight: 1, Health: gslbv1.Health_HEALTH_DOWN, HealthReason: "HTTP 503 from GET /"}}})
	}
	srv := grpc.NewServer()
	gslbv1.RegisterTableServer(srv, &dumpServer{records: recs})
	go srv.Serve(l)
	defer srv.Stop()

	p, err := New("unix://"+sock, Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	defer cancel()
	got, err := p.Dump(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(recs) {
		t.Fatalf("dumped %d records, want %d", len(got), len(recs))
	}
	for i := range recs {
		if !proto.Equal(got[i], recs[i]) {
			t.Errorf("record %d: %v, want %v", i, got[i], recs[i])
		}
	}
}

// A plugin that is not there fails at once (Unavailable), not at the
// deadline.
func TestDumpNoPlugin(t *testing.T) {
	p, err := New("unix://"+filepath.Join(t.TempDir(), "none.sock"), Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	defer cancel()
	if _, err := p.Dump(ctx); status.Code(err) != codes.Unavailable {
		t.Errorf("Dump of a missing plugin: %v, want Unavailable", err)
	}
}
