package testhost

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// RepoRoot returns the directory of the repository's go.mod, found by walking
// up from the working directory (go test runs in the package's directory,
// the tools run from the root). The answer is kept for the process's life.
func RepoRoot() (string, error) { return repoRoot() }

var repoRoot = sync.OnceValues(findRoot)

func findRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod in %s or any directory above it: run from inside the repository", wd)
		}
		dir = parent
	}
}
