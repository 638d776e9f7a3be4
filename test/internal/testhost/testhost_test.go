package testhost

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFreePortIsFreeAndNotReused(t *testing.T) {
	seen := map[int]bool{}
	for range 50 {
		p, err := FreePort()
		if err != nil {
			t.Fatal(err)
		}
		if seen[p] || p < portMin || p >= portMax {
			t.Fatalf("port %d: handed out twice or outside [%d, %d)", p, portMin, portMax)
		}
		seen[p] = true
		if err := CheckPort(p); err != nil {
			t.Fatalf("port %d is not free: %v", p, err)
		}
	}
}

func TestRepoRootHoldsGoMod(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "test", "internal", "testhost")); err != nil {
		t.Fatalf("%s is not this repository's root: %v", root, err)
	}
}

// A run that exits by itself is unexpected, with its own output only; a
// stopped one is not; both logs carry the header and footer lines.
func TestProcLogAndExits(t *testing.T) {
	log := filepath.Join(t.TempDir(), "p.log")
	sh := func(label, script string) *Proc {
		p, err := Start(Spec{Label: label, Path: "/bin/sh", Args: []string{"-c", script}, LogPath: log})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	first := sh("test: run 1", "echo first; echo address already in use >&2; exit 3")
	select {
	case <-first.Done():
	case <-time.After(time.Minute):
		t.Fatal("sh did not exit")
	}
	if first.ExitCode() != 3 || !first.PortTaken() || !strings.Contains(first.Stderr(), "address already in use") {
		t.Errorf("first run: code %d, stderr %q", first.ExitCode(), first.Stderr())
	}
	if err := first.UnexpectedExit(); err == nil || !strings.Contains(err.Error(), "first") {
		t.Errorf("UnexpectedExit: %v", err)
	}

	second := sh("test: run 2", "echo second; exec sleep 600")
	if err := second.Stop(time.Minute); err != nil {
		t.Fatal(err)
	}
	if second.UnexpectedExit() != nil || second.PortTaken() || strings.Contains(string(second.RunLog()), "first") {
		t.Errorf("second run: %v, log %q", second.UnexpectedExit(), second.RunLog())
	}
	all, _ := os.ReadFile(log)
	for _, want := range []string{"=== test: run 1 at ", "=== test: run 1 ended at ", "exit status 3", "=== test: run 2 ended at ", "signal: terminated"} {
		if !strings.Contains(string(all), want) {
			t.Errorf("log lacks %q:\n%s", want, all)
		}
	}
}

// A detached child writes its stderr to the log file itself, not to a
// pipe to this process: a lab's server outlives the command that started
// it, and a write to a broken pipe would kill it (SIGPIPE).
func TestDetachedStderrIsTheLog(t *testing.T) {
	log := filepath.Join(t.TempDir(), "d.log")
	p, err := Start(Spec{Label: "test: detached", Path: "/bin/sh", Args: []string{"-c", "readlink /proc/$$/fd/1 /proc/$$/fd/2 >&2"}, LogPath: log, Detached: true})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
	case <-time.After(time.Minute):
		t.Fatal("sh did not exit")
	}
	if strings.Count(string(p.RunLog()), log) != 2 {
		t.Errorf("the detached child's stdout and stderr are %q, want the log %s for both", p.RunLog(), log)
	}
}
