package filesource

import (
	gslbv1 "github.com/gslbdns/gslb/plugin/api/gslb/v1"
	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/proto"
)

// ttl reads a ttl in seconds. Any value given, 0 included, is the TTL of
// the answers: `ttl: 0` asks resolvers not to cache them (Avi allows 0).
// Only a ttl left out means the name server's default.
func (p *parser) ttl(n *yaml.Node, what string) (*uint32, error) {
	v, err := p.uint32(n, what, gslbv1.MaxTTL)
	if err != nil {
		return nil, err
	}
	return proto.Uint32(v), nil
}
