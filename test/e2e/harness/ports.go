package harness

import (
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"testing"
)

// Ports are picked at random below the kernel's ephemeral range (32768 and up
// on Linux), so that the source ports of our own client sockets never take a
// port a server is about to bind, and remembered for the life of the test
// binary, so that parallel tests never get the same one.
const (
	portMin = 20000
	portMax = 32000
)

var (
	portsMu sync.Mutex
	used    = map[int]bool{}
	// pickPort is freePort; the harness's own tests replace it.
	pickPort = freePort
)

// FreePort returns a port that is free on 127.0.0.1 for both UDP and TCP at
// the time of the call. Between the check and the server's bind another
// process can still take it; StartCoreDNS retries with new ports when that
// happens.
func FreePort(t testing.TB) int {
	t.Helper()
	p, err := freePort()
	if err != nil {
		t.Fatalf("harness: %v", err)
	}
	return p
}

func freePort() (int, error) {
	portsMu.Lock()
	defer portsMu.Unlock()
	var lastErr error
	for range 200 {
		p := portMin + rand.IntN(portMax-portMin)
		if used[p] {
			continue
		}
		if lastErr = checkPort(p); lastErr != nil {
			continue
		}
		used[p] = true
		return p, nil
	}
	return 0, fmt.Errorf("no port free for both UDP and TCP on 127.0.0.1 after 200 tries (last: %v)", lastErr)
}

// checkPort binds UDP and TCP on 127.0.0.1:p and releases both.
func checkPort(p int) error {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(p))
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	defer l.Close()
	u, err := net.ListenPacket("udp", addr)
	if err != nil {
		return err
	}
	return u.Close()
}
