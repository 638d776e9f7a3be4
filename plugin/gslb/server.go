package gslb

import (
	"context"
	"errors"
	"io"
	"net"
	"os"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// dumpChunkBytes bounds the size of one Dump message, well under gRPC's
// default 4 MiB limit.
const dumpChunkBytes = 1 << 20

// server is the gRPC API of one feed.
type server struct {
	gslbv1.UnimplementedTableServer
	f        *feed
	gs       *grpc.Server
	ln       net.Listener
	sockPath string
	served   chan struct{}
}

// startServer listens on the feed's address and serves the Table API.
func startServer(f *feed) (*server, error) {
	la, err := parseListen(f.addr)
	if err != nil {
		return nil, err
	}
	var opts []grpc.ServerOption
	s := &server{f: f, served: make(chan struct{})}
	switch la.network {
	case "unix":
		ln, err := listenUnix(la.address)
		if err != nil {
			return nil, err
		}
		s.ln, s.sockPath = ln, la.address
	case "tcp":
		if len(f.tlsArgs) != 3 {
			return nil, errors.New("tcp listener requires the tls directive (mutual TLS)")
		}
		cfg, err := serverTLS(f.tlsArgs[0], f.tlsArgs[1], f.tlsArgs[2])
		if err != nil {
			return nil, err
		}
		opts = append(opts, grpc.Creds(credentials.NewTLS(cfg)))
		if s.ln, err = net.Listen("tcp", la.address); err != nil {
			return nil, err
		}
	}
	s.gs = grpc.NewServer(opts...)
	gslbv1.RegisterTableServer(s.gs, s)
	go func() {
		defer close(s.served)
		if err := s.gs.Serve(s.ln); err != nil {
			log.Errorf("gRPC server on %s stopped: %v", f.addr, err)
		}
	}()
	return s, nil
}

// stop stops accepting, lets running calls finish, and removes the socket.
func (s *server) stop() {
	s.gs.GracefulStop()
	<-s.served
	if s.sockPath != "" {
		os.Remove(s.sockPath)
	}
}

// Status implements gslbv1.TableServer.
func (s *server) Status(context.Context, *gslbv1.StatusRequest) (*gslbv1.StatusResponse, error) {
	return s.f.status(), nil
}

func (f *feed) status() *gslbv1.StatusResponse {
	st := &gslbv1.StatusResponse{Zones: f.zoneList()}
	if t := f.table.Load(); t != nil {
		st.Version, st.Records, st.UpdatedUnixNano = t.version, uint32(t.count), t.updated.UnixNano()
	}
	return st
}

// Apply implements gslbv1.TableServer. Chunks are gathered until the client
// closes its side; then the whole change is applied or refused.
func (s *server) Apply(stream grpc.ClientStreamingServer[gslbv1.ApplyChunk, gslbv1.ApplyResponse]) error {
	var (
		header  *gslbv1.ApplyHeader
		upserts []*gslbv1.Record
		deletes []string
	)
	for first := true; ; first = false {
		c, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if first {
			header = c.GetHeader()
			if header == nil {
				return status.Error(codes.InvalidArgument, "the first chunk must carry the header")
			}
		} else if c.GetHeader() != nil {
			return status.Error(codes.InvalidArgument, "only the first chunk may carry a header")
		}
		upserts = append(upserts, c.GetUpserts()...)
		deletes = append(deletes, c.GetDeletes()...)
		if len(upserts)+len(deletes) > gslbv1.MaxRecordsPerPush {
			return status.Errorf(codes.InvalidArgument, "more than %d records in one apply", gslbv1.MaxRecordsPerPush)
		}
	}
	if header == nil {
		return status.Error(codes.InvalidArgument, "empty apply: no header")
	}
	t, err := s.f.apply(header, upserts, deletes)
	if err != nil {
		code := codes.InvalidArgument
		if ae, ok := err.(*applyError); ok && ae.kind == errConflict {
			code = codes.FailedPrecondition
		}
		log.Warningf("refused %s push: %v", header.GetKind(), err)
		return status.Error(code, err.Error())
	}
	log.Debugf("applied %s push: %d upserts, %d deletes, version %d, %d records",
		header.GetKind(), len(upserts), len(deletes), t.version, t.count)
	return stream.SendAndClose(&gslbv1.ApplyResponse{Version: t.version, Records: uint32(t.count)})
}

// Dump implements gslbv1.TableServer.
func (s *server) Dump(_ *gslbv1.DumpRequest, stream grpc.ServerStreamingServer[gslbv1.DumpChunk]) error {
	t := s.f.table.Load()
	c := &gslbv1.DumpChunk{Status: s.f.status()}
	if t != nil {
		c.Status.Version, c.Status.Records, c.Status.UpdatedUnixNano = t.version, uint32(t.count), t.updated.UnixNano()
	}
	size := 0
	var err error
	if t != nil {
		t.each(func(r *Record) {
			if err != nil {
				return
			}
			n := proto.Size(r.src)
			if size+n > dumpChunkBytes && len(c.Records) > 0 {
				err = stream.Send(c)
				c, size = &gslbv1.DumpChunk{}, 0
			}
			c.Records = append(c.Records, r.src)
			size += n
		})
	}
	if err != nil {
		return err
	}
	return stream.Send(c)
}
