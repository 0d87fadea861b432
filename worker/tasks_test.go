package worker

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/clock"
	"github.com/jetcron/jetcron/pkg/job"
)

// TestEveryKindHasARunner: each task kind of pkg/job has its runner here
// (a task_<kind>.go adds it to runnerKinds), and a worker gets the runners
// of the kinds it allows only.
func TestEveryKindHasARunner(t *testing.T) {
	t.Parallel()
	for _, k := range job.TaskKinds {
		require.NotNil(t, runnerKinds[k], "task kind %q has no runner: add worker/task_%s.go (see doc.go)", k, k)
	}
	require.Len(t, runnerKinds, len(job.TaskKinds), "a runner of a kind pkg/job does not know")

	all := newRunners(&Worker{cfg: Config{AllowKinds: job.TaskKinds, Clock: clock.New()}})
	require.Len(t, all, len(job.TaskKinds))
	some := newRunners(&Worker{cfg: Config{AllowKinds: []job.TaskKind{job.TaskHTTP, job.TaskGo}, Clock: clock.New()}})
	require.Len(t, some, 2)
	require.NotNil(t, some[job.TaskHTTP])
	require.NotNil(t, some[job.TaskGo])
	require.Nil(t, some[job.TaskCommand], "a pool that runs no commands has no command runner")
}
