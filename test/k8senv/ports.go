package k8senv

import (
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
)

// Ports are picked at random below the kernel's ephemeral range (32768 and up
// on Linux), so that the source ports of client sockets never take a port a
// server is about to bind, and remembered for the life of the process, so
// that parallel tests never get the same one. Another process can still bind
// a port between the check and the server's bind: starts retry with new
// ports when a server reports "address already in use".
const (
	portMin = 20000
	portMax = 32000
	// portTries is how often a start is tried with new ports.
	portTries = 3
)

var (
	portsMu   sync.Mutex
	portsUsed = map[int]bool{}
)

// freePort returns a TCP port that is free on 127.0.0.1 at the time of the call.
func freePort() (int, error) {
	portsMu.Lock()
	defer portsMu.Unlock()
	var lastErr error
	for range 200 {
		p := portMin + rand.IntN(portMax-portMin)
		if portsUsed[p] {
			continue
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			lastErr = err
			continue
		}
		l.Close()
		portsUsed[p] = true
		return p, nil
	}
	return 0, fmt.Errorf("no free TCP port on 127.0.0.1 after 200 tries (last: %v)", lastErr)
}
