package worker

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRunDirReplacesALeftover: a run directory left by a worker that died
// during the run (with files in it) is replaced by an empty one.
func TestRunDirReplacesALeftover(t *testing.T) {
	t.Parallel()
	work := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(work, "runs"), 0o700))
	w := &Worker{cfg: Config{WorkDir: work}}
	left := filepath.Join(work, "runs", "tick-20260301T120000Z-1")
	require.NoError(t, os.MkdirAll(filepath.Join(left, "sub"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(left, "sub", "old"), []byte("x"), 0o600))

	dir, cleanup, err := w.runDir("tick-20260301T120000Z", 1, nil)
	require.NoError(t, err)
	require.Equal(t, left, dir)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, entries, "the leftover's contents are gone")
	st, err := os.Stat(dir)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), st.Mode().Perm())

	cleanup()
	_, err = os.Stat(dir)
	require.ErrorIs(t, err, os.ErrNotExist)
}
