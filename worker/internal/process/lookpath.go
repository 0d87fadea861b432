package process

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// LookPath resolves a program name the way a shell would with the run's PATH
// value pathEnv (not the worker's) and returns an absolute path.
//
// A name that contains a slash is not searched: it must be absolute. PATH
// entries that are relative, including the empty entry that means ".", are
// skipped, because they would be resolved against the worker's working
// directory rather than the run's. Errors are *exec.Error values that wrap
// exec.ErrNotFound, or exec.ErrDot for a relative name, so callers can match
// them with errors.Is as they would errors from exec.LookPath.
func LookPath(name, pathEnv string) (string, error) {
	if strings.Contains(name, "/") {
		if !filepath.IsAbs(name) {
			return "", &exec.Error{Name: name, Err: exec.ErrDot}
		}
		if err := checkExecutable(name); err != nil {
			return "", &exec.Error{Name: name, Err: err}
		}
		return filepath.Clean(name), nil
	}
	if name != "" {
		for _, dir := range filepath.SplitList(pathEnv) {
			if !filepath.IsAbs(dir) {
				continue
			}
			path := filepath.Join(dir, name)
			if checkExecutable(path) == nil {
				return path, nil
			}
		}
	}
	return "", &exec.Error{Name: name, Err: exec.ErrNotFound}
}

// checkExecutable reports whether path is a file with an execute bit set. The
// run may execute as another user, so the bits are not checked against the
// worker's own identity.
func checkExecutable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return syscall.EISDIR
	}
	if fi.Mode()&0o111 == 0 {
		return fs.ErrPermission
	}
	return nil
}
