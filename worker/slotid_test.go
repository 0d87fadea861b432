package worker_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/worker"
)

// startWorker runs a worker on env with cfg's zero fields filled in.
func startWorker(t *testing.T, env natstest.Env, cfg worker.Config) *worker.Worker {
	t.Helper()
	cfg.Topology = env.Topo
	if cfg.Concurrency == 0 {
		cfg.Concurrency = 1
	}
	if cfg.WorkDir == "" {
		cfg.WorkDir = natstest.WorkDir(t)
	}
	wk, err := worker.New(natstest.Connect(t, env.Srv), cfg)
	require.NoError(t, err)
	require.NoError(t, wk.Start(t.Context()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = wk.Stop(ctx)
	})
	return wk
}

// rejection waits for the rejected event of execution id and returns it.
func rejection(t *testing.T, env natstest.Env, id string) event.Event {
	t.Helper()
	reader := event.NewReader(env.NC, env.JS, env.Topo.Names())
	var got event.Event
	natstest.Eventually(t, 20*time.Second, func() bool {
		evs, err := reader.Events(t.Context(), id)
		require.NoError(t, err)
		for _, e := range evs {
			if e.Kind == event.Rejected || e.Kind == event.Failed {
				got = e
				return true
			}
		}
		return false
	}, "the work item is refused")
	return got
}

// TestWorkerRejectsARunUnderASlotID: a work item that is not a slot of the
// schedule (here an enqueued run) but carries a slot's id is refused, as
// the work stream could be written by another path than the scheduler.
func TestWorkerRejectsARunUnderASlotID(t *testing.T) {
	t.Parallel()
	env := natstest.Ensured(t)
	marker := filepath.Join(t.TempDir(), "ran")
	spec := job.Spec{Name: "victim", Schedule: job.Schedule{Every: job.Duration(time.Hour)},
		Task: job.Task{Kind: job.TaskCommand, Command: []string{"touch", marker}}}.WithDefaults()
	slot := time.Now().UTC().Add(time.Hour).Truncate(time.Hour)
	w := job.Work{V: job.WorkVersion, ID: job.ExecutionID("victim", slot), Job: "victim", ScheduledAt: slot, Trigger: job.TriggerEnqueue, Spec: spec, Params: map[string]string{"x": "injected"}}
	data, err := json.Marshal(w)
	require.NoError(t, err)
	_, err = env.JS.Publish(t.Context(), env.Topo.Names().WorkSubject(job.DefaultQueue, "victim", w.ID, false), data)
	require.NoError(t, err)
	startWorker(t, env, worker.Config{})

	e := rejection(t, env, w.ID)
	require.Equal(t, event.Rejected, e.Kind)
	require.True(t, strings.Contains(e.Reason, "scheduled slot"), e.Reason)
	_, err = os.Stat(marker)
	require.True(t, os.IsNotExist(err), "the task never ran")
}

// TestWorkerRefusesADisallowedKind: a worker of a pool that runs http tasks
// only records a command work item as failed, with the reason, and never
// runs it.
func TestWorkerRefusesADisallowedKind(t *testing.T) {
	t.Parallel()
	env := natstest.Ensured(t)
	marker := filepath.Join(t.TempDir(), "ran")
	spec := job.Spec{Name: "shell", Schedule: job.Schedule{Every: job.Duration(time.Hour)},
		Task: job.Task{Kind: job.TaskCommand, Command: []string{"touch", marker}}}.WithDefaults()
	slot := time.Now().UTC().Truncate(time.Second)
	w := job.Work{V: job.WorkVersion, ID: job.ExecutionID("shell", slot), Job: "shell", ScheduledAt: slot, Trigger: job.TriggerSchedule, Spec: spec}
	data, err := json.Marshal(w)
	require.NoError(t, err)
	_, err = env.JS.Publish(t.Context(), env.Topo.Names().WorkSubject(job.DefaultQueue, "shell", w.ID, false), data)
	require.NoError(t, err)
	startWorker(t, env, worker.Config{AllowKinds: []job.TaskKind{job.TaskHTTP, job.TaskGo}})

	e := rejection(t, env, w.ID)
	require.Equal(t, event.Failed, e.Kind)
	require.Contains(t, e.Error, `task kind "command" is not allowed`)
	_, err = os.Stat(marker)
	require.True(t, os.IsNotExist(err), "the task never ran")
	cons, err := env.JS.Consumer(t.Context(), env.Topo.Names().WorkStream(), env.Topo.Names().WorkConsumer(job.DefaultQueue))
	require.NoError(t, err)
	natstest.Eventually(t, 10*time.Second, func() bool {
		info, err := cons.Info(t.Context())
		return err == nil && info.NumAckPending == 0 && info.NumPending == 0
	}, "the work item is terminated")
}
