package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// A --group-commit that is none of the modes is a usage error naming the
// flag, before anything connects (nothing listens on port 1).
func TestGroupCommitFlag(t *testing.T) {
	t.Parallel()
	for _, role := range [][]string{{"worker"}, {"dev", "--data", t.TempDir(), "--listen", "127.0.0.1:0"}} {
		t.Run(role[0], func(t *testing.T) {
			t.Parallel()
			var out, errb bytes.Buffer
			args := append(append([]string{"jetcron", "--nats", "nats://127.0.0.1:1"}, role...), "--group-commit", "always")
			code := Run(t.Context(), Deps{Stdout: &out, Stderr: &errb, Stdin: strings.NewReader("")}, args)
			require.Equal(t, exitUsage, code, "stderr: %s", errb.String())
			require.Contains(t, errb.String(), `--group-commit: "always" is none of auto, on, off`)
		})
	}
}
