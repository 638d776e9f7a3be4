// Package testhost is what every test package needs from the machine it runs
// on: free loopback ports (FreePort), child processes with their output in a
// log file (Start, Proc) and the repository's root (RepoRoot).
//
// There is one of each per test binary on purpose: test/e2e/harness and
// test/k8senv both build on this package, and one test binary imports both,
// so they must share one record of the ports already handed out.
package testhost
