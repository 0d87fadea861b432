package apiservice_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/scheduler/internal/apiservice"
)

// serve starts an API service on an ensured test topology.
func serve(t *testing.T) natstest.Env {
	t.Helper()
	env := natstest.Ensured(t)
	svc, err := apiservice.NewService(env.NC, env.JS, apiservice.Config{Topology: env.Topo})
	require.NoError(t, err)
	require.NoError(t, svc.Start(t.Context()))
	t.Cleanup(func() { _ = svc.Stop(context.Background()) })
	return env
}

// createJob creates an hourly job that runs true, and returns it.
func createJob(t *testing.T, env natstest.Env, name string) job.Spec {
	t.Helper()
	spec := job.Spec{Name: name, Schedule: job.Schedule{Every: job.Duration(time.Hour)}, Task: job.Task{Kind: job.TaskCommand, Command: []string{"true"}}}
	require.NoError(t, api.Call(t.Context(), env.NC, env.Topo.Names(), api.VerbJobCreate, api.CreateRequest{Spec: spec}, nil))
	return spec
}

// TestEnqueueRefusesASlotID: a client-chosen id never takes a scheduled
// slot's place (an enqueue under a future slot's id ran at once with the
// request's params, and the real slot was deduplicated away).
func TestEnqueueRefusesASlotID(t *testing.T) {
	t.Parallel()
	env := serve(t)
	names := env.Topo.Names()
	ctx := t.Context()
	createJob(t, env, "victim")

	at := time.Now().UTC().Add(time.Hour).Truncate(time.Hour)
	slotID := job.ExecutionID("victim", at)
	err := api.Call(ctx, env.NC, names, api.VerbJobEnqueue, api.EnqueueRequest{Name: "victim", At: at, ID: slotID, Params: map[string]string{"x": "injected"}}, nil)
	var ae *api.Error
	require.True(t, errors.As(err, &ae), "refused: %v", err)
	require.Equal(t, "id", ae.Field)
	require.Contains(t, ae.Message, "scheduled slot")
	require.ErrorIs(t, err, job.ErrInvalid)

	pend, err := env.JS.KeyValue(ctx, names.PendingBucket())
	require.NoError(t, err)
	_, err = pend.Get(ctx, slotID)
	require.Error(t, err, "nothing was stored under the slot's id")

	// A client id with a tag is accepted, and is not a slot id.
	var out api.RunResponse
	require.NoError(t, api.Call(ctx, env.NC, names, api.VerbJobEnqueue, api.EnqueueRequest{Name: "victim", At: at, ID: slotID + "_mine1"}, &out))
	require.Equal(t, slotID+"_mine1", out.ExecutionID)
	require.False(t, job.IsSlotID(out.ExecutionID))
}

// TestCancelAnEndedExecutionWhoseAckIsOnItsWay: a worker records an
// execution's result, then acks its work item; between the two, a cancel
// found the item, deleted it and recorded a second, cancelled, end (the web
// API's CancelRunningThenConflict saw it in a fresh-clone CI run). It is
// refused now, naming the state, and the item is left to the ack.
func TestCancelAnEndedExecutionWhoseAckIsOnItsWay(t *testing.T) {
	t.Parallel()
	env := serve(t)
	names := env.Topo.Names()
	ctx := t.Context()
	spec := createJob(t, env, "quick")

	id := job.AdHocExecutionID("quick", time.Now().UTC())
	w, err := json.Marshal(job.Work{V: job.WorkVersion, ID: id, Job: "quick", ScheduledAt: time.Now().UTC(), Trigger: job.TriggerManual, Spec: spec})
	require.NoError(t, err)
	_, err = env.JS.Publish(ctx, names.WorkSubject("default", "quick", id, false), w)
	require.NoError(t, err)
	pub := event.NewPublisher(env.JS, names)
	for _, k := range []event.Kind{event.Scheduled, event.Started, event.Succeeded} {
		_, err := pub.Publish(ctx, event.Event{Kind: k, Job: "quick", Execution: id, Time: time.Now().UTC(), Attempt: 1, Trigger: job.TriggerManual})
		require.NoError(t, err)
	}

	err = api.Call(ctx, env.NC, names, api.VerbExecCancel, api.CancelRequest{ID: id}, nil)
	require.ErrorIs(t, err, job.ErrConflict)
	require.ErrorContains(t, err, "already ended (succeeded)")
	st, err := env.JS.Stream(ctx, names.WorkStream())
	require.NoError(t, err)
	info, err := st.Info(ctx)
	require.NoError(t, err)
	require.Equal(t, uint64(1), info.State.Msgs, "the work item is the ack's to remove")
}
