package main

import (
	"context"
	"fmt"
	"time"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// pushTable sends recs as one FULL apply over the unix socket, in chunks.
func pushTable(sock string, recs []*gslbv1.Record) (uint32, error) {
	conn, err := grpc.NewClient("unix://"+sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := gslbv1.NewTableClient(conn)
	var s grpc.ClientStreamingClient[gslbv1.ApplyChunk, gslbv1.ApplyResponse]
	// The server may still be starting: retry until the socket answers.
	for deadline := time.Now().Add(30 * time.Second); ; {
		if _, err = c.Status(ctx, &gslbv1.StatusRequest{}); err == nil {
			break
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("plugin at %s: %v", sock, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if s, err = c.Apply(ctx); err != nil {
		return 0, err
	}
	if err := s.Send(&gslbv1.ApplyChunk{Header: &gslbv1.ApplyHeader{Kind: gslbv1.Kind_KIND_FULL}}); err != nil {
		return 0, err
	}
	const chunk = 2000
	for i := 0; i < len(recs); i += chunk {
		if err := s.Send(&gslbv1.ApplyChunk{Upserts: recs[i:min(i+chunk, len(recs))]}); err != nil {
			return 0, err
		}
	}
	resp, err := s.CloseAndRecv()
	if err != nil {
		return 0, err
	}
	return resp.GetVersion(), nil
}
