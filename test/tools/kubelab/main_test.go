package main

import (
	"flag"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gslbdns/gslb/test/internal/testhost"
)

func TestParseArgs(t *testing.T) {
	for _, args := range [][]string{
		{"stop", "s2", "-dir", "/x"},
		{"-dir", "/x", "stop", "s2"},
		{"stop", "-dir=/x", "s2"},
	} {
		fset := flag.NewFlagSet("t", flag.ContinueOnError)
		dir := fset.String("dir", "", "")
		pos, err := parseArgs(fset, args)
		if err != nil || *dir != "/x" || !slices.Equal(pos, []string{"stop", "s2"}) {
			t.Errorf("%q: %q dir %q (%v)", args, pos, *dir, err)
		}
	}
	fset := flag.NewFlagSet("t", flag.ContinueOnError)
	fset.SetOutput(new(strings.Builder))
	if _, err := parseArgs(fset, []string{"stop", "-nope"}); err == nil {
		t.Error("an unknown flag: no error")
	}
}

func TestRunUsage(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{},
		{"nope"},
		{"up", "extra"},
		{"site", "stop"},
		{"site", "pause", "s2"},
		{"site", "stop", "s9"},
		{"endpoints", "s2"},
		{"endpoints", "s9", "0"},
		{"endpoints", "s2", "x", "-dir", dir},
		{"endpoints", "s2", "1", "2", "3", "-dir", dir},
		{"clusters", "-dir", dir},
		{"route", "s2"},
		{"route", "s2", "cut", "-dir", dir},
		{"route", "s1az1", "detach", "-dir", dir}, // published by a Service and an Ingress
		{"route", "s2", "detach", "extra", "-dir", dir},
	} {
		if err := run(args); err == nil || !strings.Contains(err.Error(), "usage:") {
			t.Errorf("%q: %v, want the usage", args, err)
		}
	}
	if err := run([]string{"site", "stop", "s2", "-dir", dir}); err == nil || !strings.Contains(err.Error(), "not running") {
		t.Errorf("site stop without a lab: %v", err)
	}
	if err := run([]string{"site", "start", "s2", "-dir", dir}); err == nil || !strings.Contains(err.Error(), "no lab") {
		t.Errorf("site start without a lab: %v", err)
	}
	if err := run([]string{"endpoints", "s2", "0", "-dir", dir}); err == nil || !strings.Contains(err.Error(), "no lab") {
		t.Errorf("endpoints without a lab: %v", err)
	}
	if err := run([]string{"route", "s2", "detach", "-dir", dir}); err == nil || !strings.Contains(err.Error(), "no lab") {
		t.Errorf("route without a lab: %v", err)
	}
}

// TestProcs records, finds and stops a process as up and down do (sleep
// stands in for a lab process).
func TestProcs(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Fatal("sleep not found: coreutils is needed")
	}
	dir := t.TempDir()
	if err := startProc(dir, "site-s2", sleep, "60"); err != nil {
		t.Fatal(err)
	}
	d, err := readPid(dir, "site-s2")
	if err != nil || !d.Alive() {
		t.Fatalf("recorded %+v (%v): not alive", d, err)
	}
	t.Cleanup(func() {
		if d.Alive() {
			p, _ := os.FindProcess(d.Pid)
			_ = p.Kill()
		}
	})
	if live := running(dir); len(live) != 1 || !strings.HasPrefix(live[0], "site-s2 pid ") {
		t.Errorf("running: %q", live)
	}
	if other := (testhost.Detached{Pid: d.Pid, StartTicks: d.StartTicks + 1}); other.Alive() {
		t.Error("alive with another start time (a reused pid)")
	}
	// The pid file of a process that is gone, or another program's, is
	// left alone by the checks, and removed by stop.
	if err := os.WriteFile(pidFile(dir, "coredns"), []byte(`{"pid":1,"start_ticks":123456789}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := stopProcs(dir); err != nil {
		t.Fatal(err)
	}
	if d.Alive() {
		t.Error("still alive after stopProcs")
	}
	if time.Since(start) >= stopTimeout { // sleep dies at SIGTERM: no wait for the kill
		t.Errorf("stopping took %v", time.Since(start))
	}
	if live := running(dir); len(live) != 0 {
		t.Errorf("running after stop: %q", live)
	}
	for _, n := range []string{"site-s2", "coredns"} {
		if _, err := os.Stat(pidFile(dir, n)); !os.IsNotExist(err) {
			t.Errorf("%s's pid file: %v", n, err)
		}
	}
	if err := startProc(dir, "site-s1az1", "/bin/false"); err == nil || !strings.Contains(err.Error(), "exited at start") {
		t.Errorf("a process exiting at start: %v", err)
	}
	if _, err := os.Stat(pidFile(dir, "site-s1az1")); !os.IsNotExist(err) {
		t.Errorf("pid file of a process exited at start: %v", err)
	}
}
