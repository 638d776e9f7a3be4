package table

import "google.golang.org/protobuf/proto"

// specTTL is the record's TTL for a policy's or host rule's ttl. 0 is
// served as 0 (the CRDs accept 0 to 86400, as Avi does): an operator who
// sets 0 to defeat caching gets answers no resolver caches, not the name
// server's default. Only a ttl left out means the default.
func specTTL(ttl int32) *uint32 { return proto.Uint32(uint32(ttl)) }
