// Command pause is the Kubernetes sandbox ("pause") image's process, built
// into bin/images/pause.tar by `make images`: it holds the Pod's namespaces
// and sleeps until SIGINT or SIGTERM. As PID 1 of a Pod that shares its PID
// namespace it also reaps the orphans.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range sigs {
		if s != syscall.SIGCHLD {
			return
		}
		for {
			pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
