package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The scheduler's numeric flags out of range are usage errors naming the
// flag, before anything connects (nothing listens on port 1).
func TestSchedulerFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ args, want []string }{
		{[]string{"--job-metrics", "-1"}, []string{"--job-metrics: -1 is negative"}},
		{[]string{"--watchdog-interval", "10ms"}, []string{"--watchdog-interval: 10ms is shorter than 100ms"}},
	} {
		t.Run(tc.args[0], func(t *testing.T) {
			t.Parallel()
			var out, errb bytes.Buffer
			args := append([]string{"jetcron", "--nats", "nats://127.0.0.1:1", "scheduler"}, tc.args...)
			code := Run(t.Context(), Deps{Stdout: &out, Stderr: &errb, Stdin: strings.NewReader("")}, args)
			require.Equal(t, exitUsage, code, "stderr: %s", errb.String())
			for _, w := range tc.want {
				require.Contains(t, errb.String(), w)
			}
		})
	}
}
