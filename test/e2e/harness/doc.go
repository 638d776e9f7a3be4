// Package harness runs the real gslb binaries (coredns-gslb, gslb-syncer) for
// end-to-end tests, on loopback only, and talks to them: DNS over UDP and
// TCP, the gRPC Table API, HTTP endpoints.
//
// Everything is scoped to a test: processes, files and ports are released by
// t.Cleanup, and on failure the tail of every process log is printed. Waits
// are polls with deadlines (Eventually), never bare sleeps. The binaries come
// from $GSLB_BIN (default <repo>/bin); a missing binary fails the test (run
// `make build`), it never skips.
package harness
