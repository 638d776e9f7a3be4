package push

import (
	"context"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

// Dial returns a gRPC client of a plugin's API at target, "unix:///path" or
// "tcp://HOST:PORT" (with mutual TLS from files), for tools such as gslbctl.
// The connection is made by the first call.
func Dial(targetAddr string, files TLSFiles) (*grpc.ClientConn, error) {
	t, err := parseTarget(targetAddr)
	if err != nil {
		return nil, err
	}
	creds, err := credentialsFor(t, files)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	return newClient(t, creds, d.DialContext)
}

// newClient makes the gRPC client of t; dial opens the connections.
func newClient(t target, creds credentials.TransportCredentials, dial func(ctx context.Context, network, address string) (net.Conn, error)) (*grpc.ClientConn, error) {
	// The dialer ignores the address gRPC passes: it knows the target. With
	// "passthrough", gRPC resolves nothing; the authority is the host:port
	// (tcp) or "localhost" (unix, as gRPC's own unix resolver says).
	authority := "localhost"
	if t.network == "tcp" {
		authority = t.address
	}
	return grpc.NewClient("passthrough:///"+authority,
		grpc.WithTransportCredentials(creds),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			return dial(ctx, t.network, t.address)
		}),
	)
}
