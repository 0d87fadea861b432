package process

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLookPath(t *testing.T) {
	t.Parallel()

	// Two PATH directories: tool is executable in both, plain only in the
	// first and not executable there, dir is a directory.
	first, second := t.TempDir(), t.TempDir()
	write := func(dir, name string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte("#!/bin/sh\n"), mode))
		return p
	}
	write(first, "plain", 0o644)
	tool1 := write(first, "tool", 0o755)
	tool2 := write(second, "tool", 0o700)
	write(second, "other", 0o755)
	require.NoError(t, os.Mkdir(filepath.Join(first, "dir"), 0o755))
	path := first + string(filepath.ListSeparator) + second

	for _, tc := range []struct {
		name    string
		prog    string
		pathEnv string
		want    string
		wantErr error
	}{
		{name: "FirstMatchWins", prog: "tool", pathEnv: path, want: tool1},
		{name: "OrderMatters", prog: "tool", pathEnv: second + ":" + first, want: tool2},
		{name: "LaterDirectory", prog: "other", pathEnv: path, want: filepath.Join(second, "other")},
		{name: "NotExecutableSkipped", prog: "plain", pathEnv: path, wantErr: exec.ErrNotFound},
		{name: "DirectorySkipped", prog: "dir", pathEnv: path, wantErr: exec.ErrNotFound},
		{name: "NotFound", prog: "missing", pathEnv: path, wantErr: exec.ErrNotFound},
		{name: "EmptyPATH", prog: "tool", pathEnv: "", wantErr: exec.ErrNotFound},
		{name: "EmptyName", prog: "", pathEnv: path, wantErr: exec.ErrNotFound},
		{name: "RelativeEntriesSkipped", prog: "tool", pathEnv: ":.:relative:" + second, want: tool2},
		{name: "AbsoluteName", prog: tool1, pathEnv: "", want: tool1},
		{name: "AbsoluteNameCleaned", prog: first + "/./tool", pathEnv: "", want: tool1},
		{name: "AbsoluteNotExecutable", prog: filepath.Join(first, "plain"), wantErr: os.ErrPermission},
		{name: "RelativeName", prog: "./tool", pathEnv: path, wantErr: exec.ErrDot},
		{name: "RelativeNameWithDir", prog: "bin/tool", pathEnv: path, wantErr: exec.ErrDot},
		{name: "WorkerPATHNotUsed", prog: "sh", pathEnv: first, wantErr: exec.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := LookPath(tc.prog, tc.pathEnv)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				var execErr *exec.Error
				require.ErrorAs(t, err, &execErr)
				require.Equal(t, tc.prog, execErr.Name)
				require.Empty(t, got)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
			require.True(t, filepath.IsAbs(got))
		})
	}
}
