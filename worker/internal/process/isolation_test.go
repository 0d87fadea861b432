//go:build linux

package process

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestCredential(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("switching the program's uid needs root")
	}
	spec := bashSpec(t, `id -u; id -g; id -G; cat /proc/$PPID/environ && echo READ-SUPERVISOR`)
	spec.Credential = &Credential{UID: 4242, GID: 4343}
	var out syncBuffer
	spec.Output = &out
	res, err := Run(t.Context(), spec)
	require.NoError(t, err)
	require.Equal(t, 1, res.ExitCode, out.String()) // cat fails
	lines := strings.Split(out.String(), "\n")
	require.Equal(t, []string{"4242", "4343", "4343"}, lines[:3], "uid, gid, and no supplementary groups")
	require.NotContains(t, out.String(), "READ-SUPERVISOR", "the supervisor is not readable by the program")
}

func TestExtraFiles(t *testing.T) {
	t.Parallel()
	f, err := os.CreateTemp(t.TempDir(), "extra")
	require.NoError(t, err)
	_, err = f.WriteString("echo from-fd-3\n")
	require.NoError(t, err)
	_, err = f.Seek(0, 0)
	require.NoError(t, err)
	defer f.Close()
	spec := Spec{Path: bashPath(t), Args: []string{"bash", "/dev/fd/3"}, Env: []string{"PATH=/usr/bin:/bin"}, ExtraFiles: []*os.File{f}}
	var out syncBuffer
	spec.Output = &out
	res, err := Run(t.Context(), spec)
	require.NoError(t, err)
	require.Equal(t, 0, res.ExitCode, out.String())
	require.Equal(t, "from-fd-3\n", out.String())
}

func TestRemoveStaleCgroups(t *testing.T) {
	t.Parallel()
	parent := cgroupParent(t)
	stale := parent + "/jetcron-run-999999999-1" // above any pid_max
	require.NoError(t, os.Mkdir(stale, 0o755))
	live, err := newCgroup(parent) // this process's
	require.NoError(t, err)
	defer os.Remove(live)
	require.GreaterOrEqual(t, RemoveStaleCgroups(parent), 1)
	require.NoDirExists(t, stale)
	require.DirExists(t, live)
}

// TestCgroupOutlivesSupervisor: the supervisor is killed from outside, so
// it cannot kill the daemon it adopted; the run's cgroup still can.
func TestCgroupOutlivesSupervisor(t *testing.T) {
	t.Parallel()
	spec := bashSpec(t, `(setsid sleep 30 & echo $! >pid); d=$(cat pid)
until [ "$(cut -d' ' -f6 /proc/$d/stat)" = "$d" ]; do sleep 0.01; done; echo $$ $d; sleep 300`)
	spec.Dir = t.TempDir()
	spec.CgroupParent = cgroupParent(t)
	var out syncBuffer
	spec.Output = &out
	ch := runAsync(t, t.Context(), spec)
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "\n") }, 10*time.Second, 5*time.Millisecond)
	p := pids(t, out.String())
	require.Len(t, p, 2)
	supervisor := lookupProc(t, lookupProc(t, p[0]).parent(t))
	require.NoError(t, syscall.Kill(supervisor.pid, syscall.SIGKILL))
	o := receive(t, ch, 10*time.Second)
	require.ErrorIs(t, o.err, ErrSupervisorLost)
	requireDead(t, p[1])
}
