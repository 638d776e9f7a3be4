package k8senv

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// tailLines is how many lines of each log a failure report shows.
const tailLines = 60

// tail returns the last n lines of b.
func tail(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("[... %d earlier lines]", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// tailFile returns the last n lines of the file at path.
func tailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("[cannot read %s: %v]", path, err)
	}
	return tail(b, n)
}

// logTails returns the tail of every *.log file under dir, each under a
// header naming it.
func logTails(dir string) string {
	var b strings.Builder
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".log") {
			return nil
		}
		fmt.Fprintf(&b, "--- tail of %s ---\n%s\n", path, tailFile(path, tailLines))
		return nil
	})
	return b.String()
}
