//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package cli

import (
	"os"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// One holder at a time: a second lock on the directory fails with
// errDataDirLocked, naming the holder; it succeeds once the first is
// released. The scheduler ID is stable per directory.
func TestLockDataDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	unlock, ok, err := lockDataDir(dir)
	require.NoError(t, err)
	require.True(t, ok)
	_, _, err = lockDataDir(dir)
	require.ErrorIs(t, err, errDataDirLocked)
	require.ErrorContains(t, err, "held by pid "+strconv.Itoa(os.Getpid()))
	unlock()
	unlock, _, err = lockDataDir(dir)
	require.NoError(t, err, "the lock is free once released")
	unlock()

	require.Equal(t, devSchedulerID(dir), devSchedulerID(dir))
	require.NotEqual(t, devSchedulerID(dir), devSchedulerID(t.TempDir()))
}
