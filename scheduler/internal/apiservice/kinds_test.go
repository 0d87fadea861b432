package apiservice_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/worker"
)

// TestCreateRefusesAKindItsQueueDisallows: a pool declares the task kinds
// it runs; a job of another kind on its queue is refused with the field,
// while a queue without live workers accepts any kind.
func TestCreateRefusesAKindItsQueueDisallows(t *testing.T) {
	t.Parallel()
	env := serve(t)
	ctx := t.Context()
	names := env.Topo.Names()
	w, err := worker.New(natstest.Connect(t, env.Srv), worker.Config{Topology: env.Topo, Queues: []string{"web"}, AllowKinds: []job.TaskKind{job.TaskHTTP}, WorkDir: natstest.WorkDir(t), Concurrency: 1})
	require.NoError(t, err)
	require.NoError(t, w.Start(ctx))
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = w.Stop(sctx)
	})
	kv, err := env.JS.KeyValue(ctx, names.WorkersBucket())
	require.NoError(t, err)
	natstest.Eventually(t, 10*time.Second, func() bool {
		ent, err := kv.Get(ctx, w.ID())
		if err != nil {
			return false
		}
		var wi job.WorkerInfo
		require.NoError(t, json.Unmarshal(ent.Value(), &wi))
		require.Equal(t, []job.TaskKind{job.TaskHTTP}, wi.Kinds, "the presence record says what the worker runs")
		return true
	}, "the worker's presence record")

	cmd := job.Spec{Name: "shell", Queue: "web", Schedule: job.Schedule{Every: job.Duration(time.Hour)}, Task: job.Task{Kind: job.TaskCommand, Command: []string{"id"}}}
	err = api.Call(ctx, env.NC, names, api.VerbJobCreate, api.CreateRequest{Spec: cmd}, nil)
	var ae *api.Error
	require.True(t, errors.As(err, &ae), "refused: %v", err)
	require.Equal(t, "task.kind", ae.Field)
	require.Contains(t, ae.Message, `queue "web" does not run command tasks`)

	hook := job.Spec{Name: "hook", Queue: "web", Schedule: job.Schedule{Every: job.Duration(time.Hour)}, Task: job.Task{Kind: job.TaskHTTP, HTTP: &job.HTTPRequest{URL: "https://example.com/"}}}
	require.NoError(t, api.Call(ctx, env.NC, names, api.VerbJobCreate, api.CreateRequest{Spec: hook}, nil))

	cmd.Queue = "nobody"
	require.NoError(t, api.Call(ctx, env.NC, names, api.VerbJobCreate, api.CreateRequest{Spec: cmd}, nil), "no live worker: accepted")
}
