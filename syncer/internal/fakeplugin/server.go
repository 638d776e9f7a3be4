// Package fakeplugin is an in-memory gslb.v1.Table server for tests: it
// applies pushes the way the plugin does (all or nothing, the base version
// of a DELTA checked, records validated with gslbv1.ValidateRecord) and
// records what it received.
package fakeplugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// Apply describes one Apply call the server received.
type Apply struct {
	Kind        gslbv1.Kind
	BaseVersion uint32
	Upserts     []string // fqdns, in the order received
	Deletes     []string
	Chunks      int
	// MaxMessage is the size of the largest chunk, as proto.Size counts it.
	MaxMessage int
	// Code is how the call ended: codes.OK when the change was applied.
	Code codes.Code
	// Version is the table's version after the call.
	Version uint32
}

// Server implements gslbv1.TableServer.
type Server struct {
	gslbv1.UnimplementedTableServer

	grpc      *grpc.Server
	done      chan error
	closeOnce sync.Once
	closeErr  error

	mu      sync.Mutex
	version uint32
	table   map[string]*gslbv1.Record
	applies []Apply
	refuse  func(*gslbv1.ApplyHeader) error
	statusN int
	changed chan struct{} // closed and replaced after each Apply
}

// Listen serves a new, empty table (version 0) on a unix socket at path
// until Close. opts are passed to grpc.NewServer.
func Listen(path string, opts ...grpc.ServerOption) (*Server, error) {
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	return Serve(l, opts...), nil
}

// Serve serves a new, empty table (version 0) on l until Close.
func Serve(l net.Listener, opts ...grpc.ServerOption) *Server {
	s := &Server{
		grpc:    grpc.NewServer(opts...),
		done:    make(chan error, 1),
		table:   map[string]*gslbv1.Record{},
		changed: make(chan struct{}),
	}
	gslbv1.RegisterTableServer(s.grpc, s)
	go func() { s.done <- s.grpc.Serve(l) }()
	return s
}

// Close stops the server at once, breaking the connections, like a crash.
// Closing again does nothing.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.grpc.Stop()
		if err := <-s.done; err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			s.closeErr = err
		}
	})
	return s.closeErr
}

// Version returns the table's version.
func (s *Server) Version() uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version
}

// SetVersion changes the table's version, as a push by another feeder does.
func (s *Server) SetVersion(v uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.version = v
}

// Table returns the records the server holds, by fqdn.
func (s *Server) Table() map[string]*gslbv1.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]*gslbv1.Record, len(s.table))
	for k, v := range s.table {
		out[k] = v
	}
	return out
}

// Applies returns the Apply calls received so far.
func (s *Server) Applies() []Apply {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Apply(nil), s.applies...)
}

// WaitApplies blocks until cond holds for the Apply calls received, or ctx ends.
func (s *Server) WaitApplies(ctx context.Context, cond func([]Apply) bool) error {
	for {
		s.mu.Lock()
		ok, changed := cond(s.applies), s.changed
		s.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// StatusCalls returns how many Status calls the server answered.
func (s *Server) StatusCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.statusN
}

// RefuseNext makes the next Apply fail with the error f returns for its
// header (if f returns nil, the Apply proceeds).
func (s *Server) RefuseNext(f func(*gslbv1.ApplyHeader) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = f
}

// Status implements gslbv1.TableServer.
func (s *Server) Status(context.Context, *gslbv1.StatusRequest) (*gslbv1.StatusResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.statusN++
	return &gslbv1.StatusResponse{Version: s.version, Records: uint32(len(s.table))}, nil
}

// Apply implements gslbv1.TableServer.
func (s *Server) Apply(stream grpc.ClientStreamingServer[gslbv1.ApplyChunk, gslbv1.ApplyResponse]) error {
	var (
		a       Apply
		header  *gslbv1.ApplyHeader
		upserts []*gslbv1.Record
	)
	for {
		c, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if a.Chunks == 0 {
			header = c.GetHeader()
		} else if c.GetHeader() != nil {
			return status.Error(codes.InvalidArgument, "header in a chunk other than the first")
		}
		a.Chunks++
		a.MaxMessage = max(a.MaxMessage, proto.Size(c))
		upserts = append(upserts, c.GetUpserts()...)
		for _, r := range c.GetUpserts() {
			a.Upserts = append(a.Upserts, r.GetFqdn())
		}
		a.Deletes = append(a.Deletes, c.GetDeletes()...)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	a.Kind, a.BaseVersion = header.GetKind(), header.GetBaseVersion()
	err := s.applyLocked(header, upserts, a.Deletes)
	a.Code, a.Version = status.Code(err), s.version
	s.applies = append(s.applies, a)
	close(s.changed)
	s.changed = make(chan struct{})
	if err != nil {
		return err
	}
	return stream.SendAndClose(&gslbv1.ApplyResponse{Version: s.version, Records: uint32(len(s.table))})
}

func (s *Server) applyLocked(h *gslbv1.ApplyHeader, upserts []*gslbv1.Record, deletes []string) error {
	if f := s.refuse; f != nil {
		s.refuse = nil
		if err := f(h); err != nil {
			return err
		}
	}
	var next map[string]*gslbv1.Record
	switch h.GetKind() {
	case gslbv1.Kind_KIND_FULL:
		if len(deletes) > 0 {
			return status.Error(codes.InvalidArgument, "deletes in a FULL apply")
		}
		next = make(map[string]*gslbv1.Record, len(upserts))
	case gslbv1.Kind_KIND_DELTA:
		if h.GetBaseVersion() != s.version {
			return status.Errorf(codes.FailedPrecondition, "delta against version %d, the table is at %d", h.GetBaseVersion(), s.version)
		}
		next = make(map[string]*gslbv1.Record, len(s.table))
		for k, v := range s.table {
			next[k] = v
		}
		for _, d := range deletes {
			delete(next, d)
		}
	default:
		return status.Error(codes.InvalidArgument, "missing or unknown header")
	}
	for _, r := range upserts {
		if err := gslbv1.ValidateRecord(r); err != nil {
			return status.Error(codes.InvalidArgument, err.Error())
		}
		name, _ := gslbv1.CanonicalName(r.GetFqdn())
		next[name] = r
	}
	s.table = next
	s.version++
	return nil
}

// String describes an Apply, for test failures.
func (a Apply) String() string {
	return fmt.Sprintf("%v base %d: %d upserts, %d deletes in %d chunks -> %v, version %d",
		a.Kind, a.BaseVersion, len(a.Upserts), len(a.Deletes), a.Chunks, a.Code, a.Version)
}
