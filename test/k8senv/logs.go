package k8senv

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gslbdns/gslb/test/internal/testhost"
)

// tailLines is how many lines of each log a failure report shows.
const tailLines = 60

// tailFile returns the last n lines of the file at path.
func tailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("[cannot read %s: %v]", path, err)
	}
	return testhost.Tail(b, n)
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
