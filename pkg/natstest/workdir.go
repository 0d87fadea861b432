package natstest

import (
	"os"
	"path/filepath"
	"testing"
)

// WorkDir returns a worker work dir for the test that runs under another
// uid can reach: a worker running as root gives each run a uid of its own,
// and t.TempDir's directories are 0700, so the test's own temp directory
// is opened to search (0711: others may pass, not list).
func WorkDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(filepath.Dir(dir), 0o711); err != nil {
		t.Fatalf("work dir: %v", err)
	}
	return dir
}
