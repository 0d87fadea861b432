//go:build linux

package supervisor_test

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/worker/internal/process/supervisor"
)

// TestSupervisorStartsEarly checks that the supervisor takes over before
// the binary initialises the packages it does not need (doc.go): started
// with Arg and without its pipes, it refuses, and the runtime's init trace
// shows which packages were initialised before it did.
func TestSupervisorStartsEarly(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(os.Args[0], supervisor.Arg)
	cmd.Env = []string{"GODEBUG=inittrace=1"}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	require.ErrorAs(t, err, &exitErr)
	require.Equal(t, 2, exitErr.ExitCode())
	require.Contains(t, stderr.String(), supervisor.Arg+" is internal to jetcron: fd 3 is not a pipe")

	var before []string
	for line := range strings.Lines(stderr.String()) {
		if f := strings.Fields(line); len(f) > 2 && f[0] == "init" {
			before = append(before, f[1])
		}
	}
	require.Contains(t, before, "os", "the trace lists the packages initialised before the supervisor")
	// Each of these is initialised late in a binary that links many
	// packages; one of them before the supervisor means that an import
	// of this package moved its init behind them.
	for _, late := range []string{"reflect", "unicode", "golang.org/x/sys/unix", "testing"} {
		require.NotContains(t, before, late, "initialised before the supervisor took over: %v", before)
	}
}
