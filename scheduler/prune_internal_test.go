package scheduler

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/job"
)

// Pruning gets back what it reads of a definition (its name, retention and
// completions) for the jobs whose retention deletes executions, and a job
// whose retention stops deleting them leaves.
func TestRetainedJobsKeepWhatPruningReads(t *testing.T) {
	t.Parallel()
	var rj retainedJobs
	rj.set("keeps-ten", &job.Retention{Executions: 10, FailedExecutions: 20}, 4)
	rj.set("logs-only", &job.Retention{Logs: job.Duration(3600e9)}, 0)
	rj.set("none", nil, 0)
	require.Equal(t, []job.Spec{{Name: "keeps-ten", Completions: 4, Retention: &job.Retention{Executions: 10, FailedExecutions: 20}}}, rj.snapshot())

	rj.set("keeps-ten", &job.Retention{Logs: job.Duration(3600e9)}, 4)
	require.Empty(t, rj.snapshot(), "its retention no longer deletes executions")
	rj.set("keeps-ten", &job.Retention{Executions: 1}, 0)
	rj.remove("keeps-ten")
	require.Empty(t, rj.snapshot(), "deleted")
}
