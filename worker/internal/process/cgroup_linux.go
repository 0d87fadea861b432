package process

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/jetcron/jetcron/worker/internal/process/supervisor"
)

// A run's cgroup (cgroup v2) contains the supervisor, the program and every
// process they start, wherever they move in the process tree. It has no
// controllers: it is used only to find and kill the run's processes
// (cgroup.kill, Linux 5.14), so it may be created under any cgroup v2
// directory the worker can write, including its own cgroup.

// cgroupSeq makes the names of a worker process's run cgroups unique.
var cgroupSeq atomic.Uint64

// CgroupParent returns the cgroup v2 directory under which runs get their
// own cgroup: the worker's own cgroup, if cgroup v2 is mounted (as
// /sys/fs/cgroup, or beside v1 in a hybrid setup), supports cgroup.kill, and
// the worker may create a child there (root, or a delegated cgroup such as a
// systemd service with Delegate=yes). Otherwise it returns an error that
// wraps ErrNoCgroup and says why (a container's read-only /sys/fs/cgroup,
// for example).
func CgroupParent() (string, error) {
	mount, err := cgroup2Mount()
	if err != nil {
		return "", err
	}
	own, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrNoCgroup, err)
	}
	var rel string
	found := false
	for line := range strings.Lines(string(own)) {
		if p, ok := strings.CutPrefix(strings.TrimSpace(line), "0::"); ok {
			rel, found = p, true
		}
	}
	if !found {
		return "", fmt.Errorf("%w: the worker is in no cgroup v2", ErrNoCgroup)
	}
	dir := filepath.Join(mount, filepath.Clean("/"+rel))
	if err := CheckCgroupParent(dir); err != nil {
		return "", err
	}
	return dir, nil
}

// CheckCgroupParent checks that runs can get a cgroup under dir: it creates
// and removes a child.
func CheckCgroupParent(dir string) error {
	probe, err := newCgroup(dir)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(probe, "cgroup.kill")); err != nil {
		_ = os.Remove(probe)
		return fmt.Errorf("%w: %s has no cgroup.kill (Linux 5.14 or later needed)", ErrNoCgroup, dir)
	}
	if err := os.Remove(probe); err != nil {
		return fmt.Errorf("%w: %w", ErrNoCgroup, err)
	}
	return nil
}

// cgroup2Mount returns where the cgroup v2 hierarchy is mounted.
func cgroup2Mount() (string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrNoCgroup, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// id parent major:minor root mountpoint options ... - fstype source ...
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		fields, after := strings.Fields(pre), strings.Fields(post)
		if !ok || len(fields) < 6 || len(after) < 1 || after[0] != "cgroup2" {
			continue
		}
		if strings.Contains(","+fields[5]+",", ",ro,") {
			return "", fmt.Errorf("%w: %s is mounted read-only", ErrNoCgroup, fields[4])
		}
		return fields[4], nil
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("%w: %w", ErrNoCgroup, err)
	}
	return "", fmt.Errorf("%w: cgroup2 is not mounted", ErrNoCgroup)
}

// newCgroup creates a uniquely named child of parent and returns its path.
func newCgroup(parent string) (string, error) {
	name := "jetcron-run-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatUint(cgroupSeq.Add(1), 10)
	dir := filepath.Join(parent, name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return "", fmt.Errorf("%w: create %s: %w", ErrNoCgroup, dir, err)
	}
	return dir, nil
}

// removeCgroup kills what is left in the cgroup dir, waits up to wait for
// it to empty, and removes it.
func removeCgroup(dir string, wait time.Duration) error {
	_ = supervisor.KillCgroup(dir)
	deadline := time.Now().Add(wait)
	for {
		err := unix.Rmdir(dir)
		if err == nil || errors.Is(err, unix.ENOENT) {
			return nil
		}
		if !errors.Is(err, unix.EBUSY) || time.Now().After(deadline) {
			return fmt.Errorf("remove cgroup %s: %w", dir, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// RemoveStaleCgroups removes the empty run cgroups under parent that a
// worker process which no longer exists left behind (it was killed before
// it could remove them; its supervisors killed their contents). It kills
// nothing: a worker in another pid namespace, whose pid this one cannot
// see, may share the parent. It returns how many it removed.
func RemoveStaleCgroups(parent string) int {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), "jetcron-run-")
		pid, _, ok2 := strings.Cut(rest, "-")
		if !ok || !ok2 || !e.IsDir() {
			continue
		}
		if _, err := os.Stat("/proc/" + pid); err == nil {
			continue // its worker still runs
		}
		if unix.Rmdir(filepath.Join(parent, e.Name())) == nil {
			n++
		}
	}
	return n
}
