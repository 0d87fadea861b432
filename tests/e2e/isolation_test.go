package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
)

// DESIGN invariant 10: a run is a stranger to its worker. It runs under
// another identity, cannot read the worker's environment nor another run's
// directory, and what it starts dies with it.

// needRoot skips a test that switches uids.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: the worker switches the runs' uid only as root")
	}
}

// runLog runs the job now, waits until it ends in state, and returns its log.
func (s *system) runLog(name string, state job.State) string {
	s.t.Helper()
	id := strings.TrimSpace(s.ok("job", "run", name))
	x := s.waitState(id, 30*time.Second, job.StateSucceeded, job.StateFailed)
	out := s.ok("exec", "logs", id)
	require.Equal(s.t, state, x.State, "exit %s, error %q, log:\n%s", exitText(x.ExitCode), x.Error, out)
	return out
}

func TestRunIdentity(t *testing.T) {
	needRoot(t)
	s := start(t, options{})
	s.startWorkerCLI(noEnv, "runas", "--queue", "runas", "--run-as", "4321:4322")

	t.Run("DefaultAsRoot", func(t *testing.T) {
		s.ok("job", "create", "whoami", "--every", "1h", "--", "sh", "-c", "id -u; id -g; id -G")
		f := strings.Fields(s.runLog("whoami", job.StateSucceeded))
		require.Len(t, f, 3)
		uid, err := strconv.Atoi(f[0])
		require.NoError(t, err)
		require.GreaterOrEqual(t, uid, 100000, "a uid of the run's own, not root's")
		require.Equal(t, []string{f[0], f[0]}, f[1:], "gid = uid, no supplementary groups")
	})
	t.Run("RunAsFlag", func(t *testing.T) {
		s.ok("job", "create", "whoami-flag", "--every", "1h", "--queue", "runas", "--", "sh", "-c", "id -u; id -g; id -G")
		require.Equal(t, []string{"4321", "4322", "4322"}, strings.Fields(s.runLog("whoami-flag", job.StateSucceeded)))
	})
}

func TestRunsCannotReadEachOther(t *testing.T) {
	needRoot(t)
	s := start(t, options{concurrency: 2})
	// The first run leaves a secret in its directory and stays a while.
	s.ok("job", "create", "holder", "--every", "1h", "--", "sh", "-c", `echo leak-me-4711 >"$HOME/secret"; sleep 6`)
	holder := strings.TrimSpace(s.ok("job", "run", "holder"))
	s.waitState(holder, 15*time.Second, job.StateRunning)
	// The second knows where the first's directory is and tries to read it,
	// and to list the run directories.
	s.ok("job", "create", "snoop", "--every", "1h", "--env", "OTHER="+holder+"-1", "--", "sh", "-c",
		`runs=$(dirname "$HOME"); for i in $(seq 30); do cat "$runs/$OTHER/secret" 2>/dev/null && break; sleep 0.1; done
ls "$runs" 2>&1 | sed 's/^/ls: /'; echo end`)
	out := s.runLog("snoop", job.StateSucceeded)
	require.NotContains(t, out, "leak-me-4711", "another run's file was read")
	require.NotContains(t, out, "ls: "+holder, "the run directories were listed")
	require.Contains(t, out, "Permission denied", "ls")
	s.waitState(holder, 15*time.Second, job.StateSucceeded)
}

func TestDaemonDiesWithRun(t *testing.T) {
	s := start(t, options{})
	pidFile := filepath.Join(natstest.SharedDir(t), "daemon.pid")
	// The daemon leaves the process group and the session (setsid), and
	// its parent exits (double fork): nothing ties it to the run any more.
	s.ok("job", "create", "daemon", "--every", "1h", "--env", "PIDFILE="+pidFile, "--", "sh", "-c",
		`(setsid sh -c 'echo $$ >"$PIDFILE"; exec sleep 1000' &); while [ ! -s "$PIDFILE" ]; do sleep 0.05; done; echo started`)
	s.runLog("daemon", job.StateSucceeded)
	b, err := os.ReadFile(pidFile)
	require.NoError(t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	require.NoError(t, err)
	alive := func() bool {
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		zombie := strings.Contains(string(stat), ") Z ")
		return string(cmdline) == "sleep\x001000\x00" && !zombie
	}
	t.Cleanup(func() {
		if alive() {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	// The final state is recorded after the run's processes are gone.
	require.False(t, alive(), "the daemon %d outlived its run", pid)
}
