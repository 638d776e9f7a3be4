package main

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
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
	pid, path, err := readPid(dir, "site-s2")
	if err != nil || !alive(pid, path) {
		t.Fatalf("recorded %d %s (%v): not alive", pid, path, err)
	}
	t.Cleanup(func() {
		if alive(pid, path) {
			p, _ := os.FindProcess(pid)
			_ = p.Kill()
		}
	})
	if live := running(dir); len(live) != 1 || !strings.HasPrefix(live[0], "site-s2 pid ") {
		t.Errorf("running: %q", live)
	}
	if alive(pid, "/not/"+filepath.Base(path)) {
		t.Error("alive with another executable")
	}
	// The pid file of a process that is gone, or another program's, is
	// left alone by the checks, and removed by stop.
	if err := os.WriteFile(pidFile(dir, "coredns"), []byte("1 /not/coredns-gslb\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := stopProcs(dir); err != nil {
		t.Fatal(err)
	}
	if alive(pid, path) {
		t.Error("still alive after stopProcs")
	}
	if time.Since(start) > 5*time.Second {
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
