package worker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/jetcron/jetcron/worker/internal/process"
)

// isolate prepares, at Start, what keeps runs strangers to the worker (DESIGN
// invariant 10):
//
//   - the worker process is not dumpable (PR_SET_DUMPABLE 0): a run under
//     the worker's own uid can then neither trace it nor read its memory or
//     /proc/<pid>/environ, which keeps the environment the worker started
//     with, secrets included, whatever os.Unsetenv did since;
//   - the work dir and its runs/ directory are 0711 when runs switch
//     identity (they can reach their own directory, not list the others),
//     0700 otherwise; the script cache is 0700;
//   - every ancestor of the work dir is searchable by others when runs
//     switch identity, or no run could reach its directory;
//   - the parent of the runs' cgroups is found (Config.RunCgroup).
func (w *Worker) isolate(ctx context.Context) error {
	if err := notDumpable(); err != nil {
		return fmt.Errorf("make the worker not dumpable: %w", err)
	}
	mode := os.FileMode(0o700)
	if w.ident.switches() {
		mode = 0o711
	}
	dir, err := filepath.Abs(w.cfg.WorkDir)
	if err != nil {
		return fmt.Errorf("work dir: %w", err)
	}
	w.cfg.WorkDir = dir
	for _, d := range []struct {
		path string
		mode os.FileMode
	}{{dir, mode}, {filepath.Join(dir, "runs"), mode}, {filepath.Join(dir, "scripts"), 0o700}} {
		if err := os.MkdirAll(d.path, d.mode); err != nil {
			return fmt.Errorf("work dir: %w", err)
		}
		if err := os.Chmod(d.path, d.mode); err != nil {
			return fmt.Errorf("work dir: %w", err)
		}
	}
	// The work dir must be the worker's own: in a shared /tmp, someone else
	// could have created it (or a link by its name) in advance.
	var st unix.Stat_t
	if err := unix.Lstat(dir, &st); err != nil {
		return fmt.Errorf("work dir: %w", err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR || int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("work dir %s: not a directory owned by the worker's uid %d", dir, os.Geteuid())
	}
	// A worker of Go handlers only (no queues of its own) starts no run.
	if w.ident.switches() && len(w.cfg.Queues) > 0 {
		if err := searchable(dir); err != nil {
			return fmt.Errorf("work dir %s: %w", dir, err)
		}
	}

	switch w.cfg.RunCgroup {
	case "none":
	case "":
		if w.cgroup, err = process.CgroupParent(); err != nil {
			w.log.InfoContext(ctx, "runs get no cgroup; the supervisor kills the daemons it adopts as a child subreaper", "reason", err)
		}
	default:
		if err := process.CheckCgroupParent(w.cfg.RunCgroup); err != nil {
			return fmt.Errorf("run cgroup: %w", err)
		}
		w.cgroup = w.cfg.RunCgroup
	}
	if w.cgroup != "" {
		if n := process.RemoveStaleCgroups(w.cgroup); n > 0 {
			w.log.InfoContext(ctx, "removed the run cgroups of workers that are gone", "cgroups", n)
		}
	}
	if !w.ident.switches() {
		w.log.WarnContext(ctx, "runs execute under the worker's own uid: they cannot read its memory or environment, but they can read its files and each other's; a worker running as root gives each run a uid of its own (--run-as auto, its default)",
			"uid", os.Geteuid())
	}
	w.log.DebugContext(ctx, "run isolation", "run_as", w.ident.mode, "cgroup_parent", w.cgroup)
	return nil
}

// errNotSearchable means a directory on the way to the run directories is
// not searchable by other users.
var errNotSearchable = errors.New("not searchable by other users")

// searchable checks that every ancestor of dir lets other users through
// (o+x), so a run under another uid can reach its directory.
func searchable(dir string) error {
	for d := filepath.Dir(dir); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("%s (mode %v) is %w, so runs under another uid cannot reach their directories; chmod o+x it or choose another work dir", d, fi.Mode().Perm(), errNotSearchable)
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}
