//go:build linux

package process

import (
	"os"
	"strings"
	"testing"

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
