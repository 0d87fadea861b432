package process

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// DefaultKillGrace is the time between SIGTERM and SIGKILL when Spec.KillGrace
// is zero.
const DefaultKillGrace = 10 * time.Second

// DrainTimeout bounds how long Run keeps reading output after the supervised
// process group has ended. A daemonized descendant (one that called setsid)
// is killed with the run, but should one survive (its supervisor killed from
// outside, and no cgroup) it could keep the output pipe open forever; after
// DrainTimeout Run stops reading and returns with Result.OutputCut set. It
// also bounds the wait for a run's cgroup to empty.
const DrainTimeout = 2 * time.Second

// ErrSupervisorLost means the supervisor ended without reporting how the
// program ended, for example because something other than Run killed it. The
// program's process group has been killed; its exit status is unknown.
var ErrSupervisorLost = errors.New("supervisor ended without reporting an exit status")

// ErrNoCgroup means no cgroup v2 directory is available for runs.
var ErrNoCgroup = errors.New("no writable cgroup v2")

// Spec describes one program to run under supervision.
type Spec struct {
	// Path is the absolute path of the program. Run fails if it is not
	// absolute; resolve a bare name against the run's PATH with LookPath.
	Path string
	// Args is the argument vector, Args[0] included. Defaults to
	// []string{Path}.
	Args []string
	// Dir is the working directory of the program (the per-run directory).
	// Empty means the worker's working directory.
	Dir string
	// Env is the complete environment of the program as "KEY=value" strings.
	// Nil means an empty environment, never the worker's.
	Env []string
	// Output receives the program's stdout and stderr, combined, written from
	// a single goroutine. Nil discards the output.
	Output io.Writer
	// KillGrace is the time between SIGTERM and SIGKILL when the run's
	// context ends. Defaults to DefaultKillGrace (10s).
	KillGrace time.Duration
	// Credential, if not nil, is the identity the program runs under: its
	// uid and gid, and no supplementary groups. The supervisor keeps the
	// worker's identity, so the program can neither signal nor trace it.
	// Switching identity needs CAP_SETUID and CAP_SETGID (root).
	Credential *Credential
	// CgroupParent, if not empty, is a cgroup v2 directory under which Run
	// creates the run's own cgroup. The supervisor is started inside it
	// (clone3 with CLONE_INTO_CGROUP), so the program and every process it
	// ever starts are in it, and the run ends with cgroup.kill, which
	// reaches descendants that left the process group (setsid, double
	// fork). See CgroupParent for how to find one. Empty means no cgroup:
	// the supervisor, a child subreaper, kills the descendants it adopted.
	CgroupParent string
	// ExtraFiles are open files the program inherits as fds 3, 4, ... (a
	// sealed memfd holding a verified script, run as /dev/fd/3).
	ExtraFiles []*os.File
	// StartedFunc, if not nil, is called once with the pid of the program as
	// soon as it has started, from the goroutine that called Run. It must
	// return quickly.
	StartedFunc func(pid int)
}

// Result says how a program ended.
type Result struct {
	// ExitCode is the program's exit code, or -1 when a signal ended it.
	ExitCode int
	// Signal is the signal that ended the program, or 0 if it exited.
	Signal syscall.Signal
	// Stopped is true if Run stopped the program because its context ended.
	Stopped bool
	// Killed is true if the program was still running KillGrace after
	// SIGTERM and Run had to send SIGKILL.
	Killed bool
	// OutputCut is true if a descendant that left the process group still
	// held the output pipe DrainTimeout after the program ended, so Run
	// stopped reading; anything it writes later is lost.
	OutputCut bool
	// Duration is how long the program ran, measured by the supervisor from
	// its start to its exit.
	Duration time.Duration
	// PID is the pid of the program (not of its supervisor), or 0 if it never
	// started.
	PID int
}

// Credential is a Unix identity: a uid and its primary gid.
type Credential struct {
	UID uint32
	GID uint32
}

// withDefaults returns s with zero fields defaulted, or an error naming the
// invalid field.
func (s Spec) withDefaults() (Spec, error) {
	if !filepath.IsAbs(s.Path) {
		return s, fmt.Errorf("spec path %q: not an absolute path", s.Path)
	}
	if s.CgroupParent != "" && !filepath.IsAbs(s.CgroupParent) {
		return s, fmt.Errorf("spec cgroup parent %q: not an absolute path", s.CgroupParent)
	}
	if s.KillGrace < 0 {
		return s, fmt.Errorf("spec kill grace %v: negative", s.KillGrace)
	}
	if len(s.Args) == 0 {
		s.Args = []string{s.Path}
	}
	if s.Env == nil {
		s.Env = []string{}
	}
	if s.Output == nil {
		s.Output = io.Discard
	}
	s.KillGrace = cmp.Or(s.KillGrace, DefaultKillGrace)
	return s, nil
}
