package k8senv

import (
	"time"

	"github.com/gslbdns/gslb/test/internal/testhost"
)

// StopTimeout is how long a stop waits after SIGTERM before it sends SIGKILL.
const StopTimeout = 20 * time.Second

// portTries is how often a start is tried with new ports when a server
// reports its port taken (testhost.Proc.PortTaken).
const portTries = 3

// startProc starts one server process, its output appended to logPath. A
// detached process gets its own session and outlives this one (a lab).
func startProc(name, logPath string, detached bool, path string, args ...string) (*testhost.Proc, error) {
	return testhost.Start(testhost.Spec{
		Label:    "k8senv: " + name,
		Path:     path,
		Args:     args,
		LogPath:  logPath,
		Detached: detached,
	})
}
