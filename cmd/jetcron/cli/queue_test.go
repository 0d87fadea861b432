package cli

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/job"
)

func TestQueuesOf(t *testing.T) {
	t.Parallel()
	qs := queuesOf([]job.WorkerInfo{
		{ID: "w1", Queues: []string{"default", "web"}, Slots: 2, Kinds: []job.TaskKind{job.TaskHTTP}},
		{ID: "w2", Queues: []string{"web"}, Slots: 3, Busy: 1, Kinds: []job.TaskKind{job.TaskGo, job.TaskHTTP}},
		{ID: "old", Queues: []string{"default"}, Slots: 1}, // no kinds: every kind
	})
	require.Equal(t, []Queue{
		{Name: "default", Workers: []string{"old", "w1"}, Slots: 3, Kinds: []job.TaskKind{job.TaskCommand, job.TaskGo, job.TaskHTTP, job.TaskScript}},
		{Name: "web", Workers: []string{"w1", "w2"}, Slots: 5, Busy: 1, Kinds: []job.TaskKind{job.TaskGo, job.TaskHTTP}},
	}, qs)
}
