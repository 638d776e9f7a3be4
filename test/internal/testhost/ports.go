package testhost

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
// a port between the check and the server's bind: callers that start servers
// retry with new ports when one reports "address already in use" (see
// PortTaken).
const (
	portMin = 20000
	portMax = 32000
	// portPicks is how many random ports FreePort tries before it gives up.
	portPicks = 200
)

// ports is the one record of the ports handed out in this process.
var ports = struct {
	sync.Mutex
	used map[int]bool
}{used: map[int]bool{}}

// FreePort returns a port that is free on 127.0.0.1 for both TCP and UDP at
// the time of the call and was never returned before in this process.
func FreePort() (int, error) {
	ports.Lock()
	defer ports.Unlock()
	var lastErr error
	for range portPicks {
		p := portMin + rand.IntN(portMax-portMin)
		if ports.used[p] {
			continue
		}
		if lastErr = CheckPort(p); lastErr != nil {
			continue
		}
		ports.used[p] = true
		return p, nil
	}
	return 0, fmt.Errorf("no port free for both TCP and UDP on 127.0.0.1 after %d tries (last: %v)", portPicks, lastErr)
}

// CheckPort binds TCP and UDP on 127.0.0.1:p and releases both.
func CheckPort(p int) error {
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
