package scheduler_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/scheduler"
)

// TestRetentionPrunesWholeExecutions: the leader deletes the events of the
// finished executions a job's retention lets go, each execution whole,
// keeps failures longer, leaves a running one and other jobs alone, and
// records one job_pruned event.
func TestRetentionPrunesWholeExecutions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s, err := scheduler.New(natstest.Connect(t, b.srv), scheduler.Config{ID: "only", Topology: b.topo, FlushInterval: 100 * time.Millisecond,
		PruneInterval: 200 * time.Millisecond, PruneFloor: time.Nanosecond})
	require.NoError(t, err)
	require.NoError(t, s.Start(t.Context()))
	t.Cleanup(func() { _ = s.Stop(context.Background()) })
	natstest.Eventually(t, 10*time.Second, s.Leading)

	// Nine finished executions of "kept" and of "other" an hour apart, the
	// 4th, 6th and 8th failed, and one still running.
	pub := event.NewPublisher(b.js, b.topo.Names())
	base := time.Now().Add(-24 * time.Hour).Truncate(time.Hour)
	slot := func(i int) time.Time { return base.Add(time.Duration(i) * time.Hour) }
	for _, name := range []string{"kept", "other"} {
		for i := range 10 {
			id := job.ExecutionID(name, slot(i))
			_, err := pub.Publish(t.Context(), event.Event{Kind: event.Scheduled, Job: name, Execution: id, Time: slot(i), ScheduledAt: event.Slot(slot(i))})
			require.NoError(t, err)
			end := event.Succeeded
			switch {
			case i == 9:
				continue // running
			case i == 3 || i == 5 || i == 7:
				end = event.Failed
			}
			_, err = pub.Publish(t.Context(), event.Event{Kind: end, Job: name, Execution: id, Time: slot(i).Add(time.Minute), Attempt: 1})
			require.NoError(t, err)
		}
	}
	spec := everyJob("kept", time.Hour, job.OverlapSkip)
	spec.Retention = &job.Retention{Executions: 2, FailedExecutions: 2}
	b.create(t, spec)
	b.create(t, everyJob("other", time.Hour, job.OverlapSkip))

	var pruned []event.Event
	natstest.Eventually(t, 10*time.Second, func() bool {
		pruned = b.eventsOf(t, "kept", event.JobPruned)
		return len(pruned) > 0 && len(b.eventsOf(t, "kept", event.Scheduled)) == 5
	}, "the leader prunes")
	// Not failed: 0,1,2,4,6,8 keep 6,8. Failed: 3,5,7 keep 5,7.
	require.Equal(t, 5, pruned[0].Count)
	require.Equal(t, slot(0), pruned[0].ScheduledAt.Local())
	require.Equal(t, slot(4), pruned[0].Last.Local())
	for i := range 10 {
		sched := b.eventsOf(t, "kept", event.Scheduled)
		has := false
		for _, e := range sched {
			has = has || e.Execution == job.ExecutionID("kept", slot(i))
		}
		gone := i <= 4
		require.Equal(t, !gone, has, "execution %d", i)
	}
	require.Len(t, b.eventsOf(t, "kept", event.Succeeded), 2, "6 and 8, each whole")
	require.Len(t, b.eventsOf(t, "kept", event.Failed), 2, "5 and 7")
	require.Len(t, b.eventsOf(t, "other", event.Scheduled), 10, "a job without retention keeps everything")

	// The running one ends: the next round prunes the job again (its
	// final event), and 6 goes.
	_, err = pub.Publish(t.Context(), event.Event{Kind: event.Succeeded, Job: "kept", Execution: job.ExecutionID("kept", slot(9)), Time: slot(9).Add(time.Minute), Attempt: 1})
	require.NoError(t, err)
	natstest.Eventually(t, 10*time.Second, func() bool {
		return len(b.eventsOf(t, "kept", event.JobPruned)) == 2 && len(b.eventsOf(t, "kept", event.Succeeded)) == 2
	}, "the leader prunes the job that ended an execution")
	for _, e := range b.eventsOf(t, "kept", event.Succeeded) {
		require.NotEqual(t, job.ExecutionID("kept", slot(6)), e.Execution)
	}
}

// lockedBuffer is a log sink the scheduler writes from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestRetentionOnAnOlderEventsStream: an events stream made before per-job
// retention denies purges; the leader says so once and deletes nothing,
// and keeps firing.
func TestRetentionOnAnOlderEventsStream(t *testing.T) {
	t.Parallel()
	srv := natstest.RunJetStream(t)
	nc := natstest.Connect(t, srv)
	b := &bundle{srv: srv, nc: nc, js: natstest.JetStream(t, nc), topo: natstest.Topology(t)}
	sc := b.topo.EventsStreamConfig()
	sc.DenyPurge = true // as an older version made it
	_, err := b.js.CreateStream(t.Context(), sc)
	require.NoError(t, err)
	natstest.Ensure(t, b.js, b.topo)

	var logs lockedBuffer
	s, err := scheduler.New(natstest.Connect(t, b.srv), scheduler.Config{ID: "only", Topology: b.topo, FlushInterval: 100 * time.Millisecond,
		PruneInterval: 100 * time.Millisecond, PruneFloor: time.Nanosecond, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err)
	require.NoError(t, s.Start(t.Context()))
	t.Cleanup(func() { _ = s.Stop(context.Background()) })
	natstest.Eventually(t, 10*time.Second, s.Leading)

	pub := event.NewPublisher(b.js, b.topo.Names())
	old := time.Now().Add(-time.Hour).Truncate(time.Minute)
	for i := range 3 {
		slot := old.Add(time.Duration(i) * time.Minute)
		id := job.ExecutionID("kept", slot)
		for _, k := range []event.Kind{event.Scheduled, event.Succeeded} {
			_, err := pub.Publish(t.Context(), event.Event{Kind: k, Job: "kept", Execution: id, Time: slot, ScheduledAt: event.Slot(slot), Attempt: 1})
			require.NoError(t, err)
		}
	}
	spec := everyJob("kept", time.Second, job.OverlapSkip)
	spec.Retention = &job.Retention{Executions: 1}
	b.create(t, spec)
	natstest.Eventually(t, 10*time.Second, func() bool {
		return strings.Contains(logs.String(), "the events stream denies purges")
	}, "the leader says why it cannot prune:\n%s", &logs)
	natstest.Eventually(t, 10*time.Second, func() bool {
		return len(b.eventsOf(t, "kept", event.Skipped)) >= 3 // no worker: the first slot runs on, the next are skipped
	}, "and keeps firing")
	require.Len(t, b.eventsOf(t, "kept", event.Succeeded), 3, "nothing deleted")
	require.Equal(t, 1, strings.Count(logs.String(), "the events stream denies purges"), "said once")
	require.Empty(t, b.eventsOf(t, "kept", event.JobPruned), "nothing recorded as pruned")
}
