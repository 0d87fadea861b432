package scheduler

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/job"
)

// Pruning gets back what it reads of a definition (its name, retention and
// completions) for the jobs whose retention deletes executions, and a job
// whose retention stops deleting them leaves.
func TestRetainedJobsKeepWhatPruningReads(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	var rj retainedJobs
	rj.set("keeps-ten", &job.Retention{Executions: 10, FailedExecutions: 20}, 4)
	rj.set("logs-only", &job.Retention{Logs: job.Duration(3600e9)}, 0)
	rj.set("none", nil, 0)
	require.Equal(t, []due{{spec: job.Spec{Name: "keeps-ten", Completions: 4, Retention: &job.Retention{Executions: 10, FailedExecutions: 20}}, changes: 1}}, rj.snapshot(t0, false))

	rj.set("keeps-ten", &job.Retention{Logs: job.Duration(3600e9)}, 4)
	require.Empty(t, rj.snapshot(t0, false), "its retention no longer deletes executions")
	rj.set("keeps-ten", &job.Retention{Executions: 1}, 0)
	rj.remove("keeps-ten")
	require.Empty(t, rj.snapshot(t0, false), "deleted")
}

// A round prunes a job once it ended an execution, its definition changed,
// or a kept execution comes to its limit by age; not otherwise. A final
// that comes while the job is being pruned gets it pruned again.
func TestRetainedJobsArePrunedWhenTheyChange(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	var rj retainedJobs
	names := func(ds []due) []string {
		var out []string
		for _, d := range ds {
			out = append(out, d.spec.Name)
		}
		return out
	}
	rj.set("a", &job.Retention{Executions: 1}, 0)
	rj.set("b", &job.Retention{Executions: 1}, 0)
	first := rj.snapshot(t0, false)
	require.ElementsMatch(t, []string{"a", "b"}, names(first), "a new leader prunes every job once")
	for _, d := range first {
		rj.pruned(d.spec.Name, d.changes, time.Time{})
	}
	require.Empty(t, rj.snapshot(t0, false), "nothing ended since")
	require.ElementsMatch(t, []string{"a", "b"}, names(rj.snapshot(t0, true)), "a full round")

	rj.touch("a")
	rj.touch("unknown") // a job without retention
	require.Equal(t, []string{"a"}, names(rj.snapshot(t0, false)))
	d := rj.snapshot(t0, false)[0]
	rj.touch("a") // ends another while being pruned
	rj.pruned("a", d.changes, time.Time{})
	require.Equal(t, []string{"a"}, names(rj.snapshot(t0, false)), "pruned again")
	d = rj.snapshot(t0, false)[0]
	rj.pruned("a", d.changes, t0.Add(time.Hour))
	require.Empty(t, rj.snapshot(t0.Add(time.Hour-time.Nanosecond), false))
	require.Equal(t, []string{"a"}, names(rj.snapshot(t0.Add(time.Hour), false)), "a kept execution's limit comes")

	rj.set("b", &job.Retention{Executions: 5}, 0)
	require.Contains(t, names(rj.snapshot(t0, false)), "b", "a new definition")

	rj.followAll()
	require.ElementsMatch(t, []string{"a", "b"}, names(rj.snapshot(t0, false)), "without the finals' watch, every round")
}
