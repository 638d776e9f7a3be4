package push

import (
	"context"
	"errors"
	"fmt"
	"io"

	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
)

// Dump reads the table the plugin serves now (the read-only Dump call), over
// a connection of its own made with the Pusher's credentials and dialer, and
// closed before it returns. ctx bounds the whole call: a plugin that is not
// there fails at once, one that does not answer when ctx ends. It may be
// called at any time, also while Run runs.
func (p *Pusher) Dump(ctx context.Context) ([]*gslbv1.Record, error) {
	conn, err := newClient(p.target, p.creds, p.opts.Dial)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	stream, err := gslbv1.NewTableClient(conn).Dump(ctx, &gslbv1.DumpRequest{})
	if err != nil {
		return nil, fmt.Errorf("dump: %w", err)
	}
	var recs []*gslbv1.Record
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return recs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("dump: %w", err)
		}
		recs = append(recs, chunk.GetRecords()...)
	}
}
