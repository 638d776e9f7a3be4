package harness

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// NetNS is a private network namespace with its loopback up: a test in it
// may use fixed ports (the demo's 1053, BIND's 53) without clashing with
// anything else on the machine. It needs root (CAP_SYS_ADMIN).
//
// The namespace lives on one OS thread, locked to a goroutine that runs the
// functions given to Do; sockets opened and processes started in Do belong
// to the namespace. t.Cleanup returns the thread to the original namespace.
type NetNS struct {
	calls chan func()
	quit  chan struct{}
}

// CanNetNS reports whether this process may create network namespaces.
func CanNetNS() bool { return unix.Geteuid() == 0 }

// NewNetNS creates a network namespace; it fails the test when it cannot.
func NewNetNS(t testing.TB) *NetNS {
	t.Helper()
	n := &NetNS{calls: make(chan func()), quit: make(chan struct{})}
	errc := make(chan error, 1)
	go func() {
		// The thread enters the namespace, and goes back to the original
		// one before it is unlocked. It must never die: children started
		// with Pdeathsig from any goroutine that ran on this thread before
		// (harness processes, k8senv's apiservers) would be killed with it.
		runtime.LockOSThread()
		orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("opening the thread's network namespace: %v", err)
			return
		}
		defer func() {
			if err := unix.Setns(orig, unix.CLONE_NEWNET); err != nil {
				// Stuck in the namespace: park forever rather than let
				// the thread exit.
				select {}
			}
			unix.Close(orig)
			runtime.UnlockOSThread()
		}()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("unshare(CLONE_NEWNET): %v (a private network namespace needs root)", err)
			return
		}
		if err := loopbackUp(); err != nil {
			errc <- fmt.Errorf("bringing up lo in the new namespace: %v", err)
			return
		}
		errc <- nil
		for {
			select {
			case fn := <-n.calls:
				fn()
			case <-n.quit:
				return
			}
		}
	}()
	if err := <-errc; err != nil {
		t.Fatalf("harness: %v", err)
	}
	t.Cleanup(func() { close(n.quit) })
	return n
}

// Do runs fn inside the namespace and waits for it.
func (n *NetNS) Do(fn func()) {
	done := make(chan struct{})
	n.calls <- func() {
		defer close(done)
		fn()
	}
	<-done
}

func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}

// AddLoopbackAddress gives the namespace's loopback another IPv4 address
// (as the alias lo:N), for servers such as BIND that listen only on the
// addresses of an interface; 127.0.0.1 is the only one at first.
func (n *NetNS) AddLoopbackAddress(t testing.TB, label int, ip netip.Addr) {
	t.Helper()
	var err error
	n.Do(func() { err = loopbackAlias(label, ip) })
	if err != nil {
		t.Fatalf("harness: adding %s to the namespace's loopback: %v", ip, err)
	}
}

func loopbackAlias(label int, ip netip.Addr) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(fmt.Sprintf("lo:%d", label))
	if err != nil {
		return err
	}
	if err := ifr.SetInet4Addr(ip.AsSlice()); err != nil {
		return err
	}
	return unix.IoctlIfreq(fd, unix.SIOCSIFADDR, ifr)
}

// Dial is harness.Dial for a server inside the namespace: the client's
// sockets are opened in it.
func (n *NetNS) Dial(t testing.TB, addr, proto string) *Client {
	t.Helper()
	c := Dial(t, addr, proto)
	c.netns = n
	return c
}

// HTTPGet is harness.HTTPGet for a server inside the namespace.
func (n *NetNS) HTTPGet(url string) (int, string, error) {
	tr := &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, addr string) (c net.Conn, err error) {
			n.Do(func() { c, err = (&net.Dialer{}).DialContext(ctx, network, addr) })
			return c, err
		},
	}
	defer tr.CloseIdleConnections()
	return httpGet(&http.Client{Transport: tr, Timeout: 5 * time.Second}, url)
}
