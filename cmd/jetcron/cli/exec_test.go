package cli

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/job"
)

// TestExecPageJSON: with -o json a page of exec list is written exactly as
// its executions were before pages existed: an indented list, [] for none.
func TestExecPageJSON(t *testing.T) {
	t.Parallel()

	encode := func(v any) string {
		var b bytes.Buffer
		require.NoError(t, printJSON(&b, v))
		return b.String()
	}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	xs := []job.Execution{
		{ID: "a", Job: "j", State: job.StateSucceeded, ScheduledAt: at, Params: map[string]string{"<k>": "&v"}},
		{ID: "b", Job: "j", State: job.StateRunning, ScheduledAt: at},
	}

	require.Equal(t, encode(xs), encode(execPage{job: "j", xs: xs, next: 7}))
	require.Equal(t, encode([]job.Execution{}), encode(execPage{}))
	require.Equal(t, "[]\n", encode(execPage{}))
}
