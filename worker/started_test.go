package worker_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/worker"
)

// TestTaskStartsWhileItsStartedEventWaits: the started event is stored
// while the task starts, not before it (worker/execute.go recordStart). With
// the events stream gone, the event waits for it (its publish is retried),
// and the task runs anyway, once its claim is written; when the stream is
// back, the execution's events are stored in their order, started then the
// result, and the work item is acked.
func TestTaskStartsWhileItsStartedEventWaits(t *testing.T) {
	t.Parallel()
	env := natstest.Ensured(t)
	nc, js, topo := env.NC, env.JS, env.Topo
	ctx := t.Context()
	names := topo.Names()

	wk := startWorker(t, env, worker.Config{})
	natstest.Eventually(t, 20*time.Second, func() bool { return wk.Ready() == nil }, "the worker is ready")

	require.NoError(t, js.DeleteStream(ctx, names.EventsStream()))

	spec := job.Spec{Name: "early", Schedule: job.Schedule{Every: job.Duration(time.Hour)},
		Task: job.Task{Kind: job.TaskCommand, Command: []string{"echo", "ran"}}}.WithDefaults()
	slot := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	w := job.Work{V: job.WorkVersion, ID: job.ExecutionID("early", slot), Job: "early", ScheduledAt: slot, Trigger: job.TriggerSchedule, Spec: spec}
	// The run's live output (core NATS, not the events stream) says it ran.
	output, err := nc.SubscribeSync(names.LogSubject(w.ID))
	require.NoError(t, err)
	data, err := json.Marshal(w)
	require.NoError(t, err)
	_, err = js.Publish(ctx, names.WorkSubject(job.DefaultQueue, "early", w.ID, false), data)
	require.NoError(t, err)

	// Its started event is retried for up to 30 s: a task that waited for
	// it would not print within 20.
	deadline := time.Now().Add(20 * time.Second)
	for ran := false; !ran; {
		m, err := output.NextMsg(time.Until(deadline))
		require.NoError(t, err, "the task ran while its started event could not be stored")
		ran = strings.Contains(string(m.Data), "ran")
	}

	_, err = js.CreateStream(ctx, topo.EventsStreamConfig())
	require.NoError(t, err)
	reader := event.NewReader(nc, js, names)
	natstest.Eventually(t, 30*time.Second, func() bool {
		x, err := reader.Get(ctx, w.ID)
		return err == nil && x.State == job.StateSucceeded
	}, "the result is recorded once the stream is back")
	evs, err := reader.Events(ctx, w.ID)
	require.NoError(t, err)
	var kinds []event.Kind
	for _, e := range evs {
		kinds = append(kinds, e.Kind)
	}
	require.Equal(t, []event.Kind{event.Started, event.Succeeded}, kinds, "started, then the result, in the stream's order")
	natstest.Eventually(t, 10*time.Second, func() bool {
		st, err := js.Stream(ctx, names.WorkStream())
		return err == nil && st.CachedInfo().State.Msgs == 0
	}, "and the work item acked")
}
