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

// SharedDir returns a directory that runs can read and write although they
// execute under uids of their own: for tests whose jobs leave marks or wait
// for files the test creates.
func SharedDir(t testing.TB) string {
	t.Helper()
	dir := WorkDir(t)
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatalf("shared dir: %v", err)
	}
	return dir
}
