package apiservice_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/backfill"
	"github.com/jetcron/jetcron/pkg/claim"
	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
)

// dueRun is an enqueued run whose time has come: its key is still in the
// pending bucket while the leader publishes it from its own copy of the
// bucket (the key goes only once the round's events are stored, and a
// leader whose watch lags still has it). It returns the run's ID and its
// work message's sequence.
func dueRun(t *testing.T, env natstest.Env) (string, uint64) {
	t.Helper()
	ctx, names := t.Context(), env.Topo.Names()
	spec := createJob(t, env, "due")
	var run api.RunResponse
	require.NoError(t, api.Call(ctx, env.NC, names, api.VerbJobEnqueue, api.EnqueueRequest{Name: "due", At: time.Now()}, &run))
	w, err := json.Marshal(job.Work{V: job.WorkVersion, ID: run.ExecutionID, Job: "due", ScheduledAt: run.At, Trigger: job.TriggerEnqueue, Spec: spec})
	require.NoError(t, err)
	ack, err := env.JS.Publish(ctx, names.WorkSubject(job.DefaultQueue, "due", run.ExecutionID, false), w)
	require.NoError(t, err)
	return run.ExecutionID, ack.Sequence
}

func claims(t *testing.T, env natstest.Env) jetstream.KeyValue {
	t.Helper()
	kv, err := env.JS.KeyValue(t.Context(), env.Topo.Names().ClaimsBucket())
	require.NoError(t, err)
	return kv
}

// TestCancelOfARunTheLeaderIsPublishing: the API answered "cancelled" for
// a run whose key it found and removed, while the leader was publishing
// it: the run ran after it was recorded cancelled, two final events. The
// claim decides now: the worker that receives the message finds the
// execution finished and does not run it.
func TestCancelOfARunTheLeaderIsPublishing(t *testing.T) {
	t.Parallel()
	env := serve(t)
	ctx, names := t.Context(), env.Topo.Names()
	id, seq := dueRun(t, env)

	var out api.CancelResponse
	require.NoError(t, api.Call(ctx, env.NC, names, api.VerbExecCancel, api.CancelRequest{ID: id, Reason: "not now"}, &out))
	require.Equal(t, "cancelled", out.Result)
	pend, err := env.JS.KeyValue(ctx, names.PendingBucket())
	require.NoError(t, err)
	_, err = pend.Get(ctx, id)
	require.True(t, errors.Is(err, jetstream.ErrKeyNotFound), "the key is removed: %v", err)

	_, got, err := claim.Acquire(ctx, claims(t, env), id, seq, 1, "w1", time.Now())
	require.NoError(t, err)
	require.Equal(t, claim.Finished, got, "the worker receiving the published run does not run it")
}

// TestCancelOfARunAWorkerJustClaimed: a worker claimed the run and has not
// subscribed to cancel requests yet. The cancel is not answered
// "cancelled" (the worker goes on to run it): it asks again, and the
// worker, once listening, stops the run.
func TestCancelOfARunAWorkerJustClaimed(t *testing.T) {
	t.Parallel()
	env := serve(t)
	ctx, names := t.Context(), env.Topo.Names()
	id, seq := dueRun(t, env)
	_, got, err := claim.Acquire(ctx, claims(t, env), id, seq, 1, "w1", time.Now())
	require.NoError(t, err)
	require.Equal(t, claim.Acquired, got)

	// The worker starts listening once the cancel has found the claim held.
	read := claimRead(t, env, id)
	asked := make(chan string, 1)
	listening := make(chan *nats.Subscription, 1)
	go func() {
		<-read
		sub, _ := env.NC.Subscribe(names.CancelSubject(id), func(m *nats.Msg) {
			asked <- string(m.Data)
			_ = m.Respond([]byte("w1"))
		})
		listening <- sub
	}()
	var out api.CancelResponse
	require.NoError(t, api.Call(ctx, env.NC, names, api.VerbExecCancel, api.CancelRequest{ID: id, Reason: "not now"}, &out))
	require.NoError(t, (<-listening).Unsubscribe())
	require.Equal(t, "cancelling", out.Result)
	require.Equal(t, "w1", out.Worker)
	require.Equal(t, "not now", <-asked)
}

// claimRead is closed when the first read of execution id's claim is
// asked of the server (a cancel's look at it).
func claimRead(t *testing.T, env natstest.Env, id string) <-chan struct{} {
	t.Helper()
	bucket := env.Topo.Names().ClaimsBucket()
	read := make(chan struct{})
	var once sync.Once
	mon, err := env.NC.Subscribe("$JS.API.DIRECT.GET.KV_"+bucket+".$KV."+bucket+"."+id, func(*nats.Msg) { once.Do(func() { close(read) }) })
	require.NoError(t, err)
	t.Cleanup(func() { _ = mon.Unsubscribe() })
	return read
}

// TestCancelOfARunWhoseAttemptEndsMeanwhile: a worker claimed the run a
// moment before the cancel, and its attempt fails and hands the run back
// for a retry before the cancel reaches it (the worker never listened).
// The cancel stops the retry and answers cancelled, saying that attempt 1
// ran on w1: found in the chaos suite (seed 3270831658), where the answer
// was a bare "cancelled" for a run that had started after the cancel was
// sent.
func TestCancelOfARunWhoseAttemptEndsMeanwhile(t *testing.T) {
	t.Parallel()
	env := serve(t)
	ctx, names := t.Context(), env.Topo.Names()
	id, seq := dueRun(t, env)
	kv := claims(t, env)
	c, got, err := claim.Acquire(ctx, kv, id, seq, 1, "w1", time.Now())
	require.NoError(t, err)
	require.Equal(t, claim.Acquired, got)

	// The attempt fails once the cancel has found the claim held.
	read := claimRead(t, env, id)
	failed := make(chan error, 1)
	go func() {
		<-read
		failed <- c.Failed(context.Background(), time.Now())
	}()
	var out api.CancelResponse
	require.NoError(t, api.Call(ctx, env.NC, names, api.VerbExecCancel, api.CancelRequest{ID: id, Reason: "not now"}, &out))
	require.NoError(t, <-failed)
	require.Equal(t, api.CancelResponse{ID: id, Result: "cancelled", Worker: "w1", AfterAttempt: 1}, out)
	_, got, err = claim.Acquire(ctx, kv, id, seq, 2, "w2", time.Now())
	require.NoError(t, err)
	require.Equal(t, claim.Finished, got, "the retry does not run")
}

// TestCancelOfARunAWorkerHoldsSilently: an attempt that holds the run and
// never answers (its worker stuck before listening) is not overruled
// while its claim is fresh: the cancel conflicts, naming the worker, and
// changes nothing.
func TestCancelOfARunAWorkerHoldsSilently(t *testing.T) {
	t.Parallel()
	env := serve(t)
	ctx, names := t.Context(), env.Topo.Names()
	id, seq := dueRun(t, env)
	kv := claims(t, env)
	c, _, err := claim.Acquire(ctx, kv, id, seq, 1, "w1", time.Now())
	require.NoError(t, err)

	err = api.Call(ctx, env.NC, names, api.VerbExecCancel, api.CancelRequest{ID: id}, nil)
	require.ErrorIs(t, err, job.ErrConflict)
	require.ErrorContains(t, err, "starting on worker w1")
	require.NoError(t, c.Renew(ctx, time.Now()), "the attempt still holds it")
}

// TestCancelOfAnAttemptLostWithItsWorker: the work item of a worker that
// died waits for its redelivery. The cancel takes the claim over (its
// holder has not renewed it for the ack wait), so the redelivery does not
// run it, and the holder, if it was only frozen, learns it was superseded.
func TestCancelOfAnAttemptLostWithItsWorker(t *testing.T) {
	t.Parallel()
	env := serve(t)
	ctx, names := t.Context(), env.Topo.Names()
	id, seq := dueRun(t, env)
	pend, err := env.JS.KeyValue(ctx, names.PendingBucket())
	require.NoError(t, err)
	require.NoError(t, pend.Purge(ctx, id)) // the leader removed the key once the run was out
	kv := claims(t, env)
	long := time.Now().Add(-time.Hour)
	c, _, err := claim.Acquire(ctx, kv, id, seq, 1, "w1", long)
	require.NoError(t, err)

	var out api.CancelResponse
	require.NoError(t, api.Call(ctx, env.NC, names, api.VerbExecCancel, api.CancelRequest{ID: id}, &out))
	require.Equal(t, "cancelled", out.Result)
	_, got, err := claim.Acquire(ctx, kv, id, seq, 2, "w2", time.Now())
	require.NoError(t, err)
	require.Equal(t, claim.Finished, got, "the redelivery does not run it")
	require.ErrorIs(t, c.Renew(ctx, time.Now()), claim.ErrSuperseded)
}

// TestBackfillCancelStopsARunNotWrittenYet: a leader marks a backfill slot
// started, then writes its pending run. A backfill cancelled between the
// two found no run to cancel (it looked for a second) and the run, written
// after, ran. The run's claim is written cancelled now: whenever it is
// published, it does not run.
func TestBackfillCancelStopsARunNotWrittenYet(t *testing.T) {
	t.Parallel()
	env := serve(t)
	ctx, names := t.Context(), env.Topo.Names()
	// A job every second, with no leader: once a slot has passed, record
	// it failed (as a worker would), and a backfill has it to run again.
	spec := job.Spec{Name: "often", Schedule: job.Schedule{Every: job.Duration(time.Second)}, Task: job.Task{Kind: job.TaskCommand, Command: []string{"true"}}}
	require.NoError(t, api.Call(ctx, env.NC, names, api.VerbJobCreate, api.CreateRequest{Spec: spec}, nil))
	from := time.Now().UTC()
	req := api.BackfillRequest{Name: "often", From: from, Only: backfill.OnlyFailed, MaxParallel: 1, DryRun: true}
	var bf api.BackfillResponse
	natstest.Eventually(t, 10*time.Second, func() bool {
		req.To = time.Now().UTC()
		return api.Call(ctx, env.NC, names, api.VerbJobBackfill, req, &bf) == nil && len(bf.Selection.Skip) > 0
	}, "a slot has passed")
	slot := bf.Selection.Skip[0]
	pub := event.NewPublisher(env.JS, names)
	for _, k := range []event.Kind{event.Scheduled, event.Started, event.Failed} {
		_, err := pub.Publish(ctx, event.Event{Kind: k, Job: "often", Execution: slot.ExecutionID, Time: time.Now().UTC(), Attempt: 1, ScheduledAt: event.Slot(slot.Slot), Trigger: job.TriggerSchedule})
		require.NoError(t, err)
	}
	req.DryRun = false
	require.NoError(t, api.Call(ctx, env.NC, names, api.VerbJobBackfill, req, &bf))
	// The leader marks the first slot started; its pending run is not
	// written yet.
	kv, err := env.JS.KeyValue(ctx, names.BackfillsBucket())
	require.NoError(t, err)
	key := backfill.Key("often", bf.Backfill.ID)
	ent, err := kv.Get(ctx, key)
	require.NoError(t, err)
	var rec backfill.Backfill
	require.NoError(t, json.Unmarshal(ent.Value(), &rec))
	now := time.Now().UTC()
	rec.Slots[0].Status, rec.Slots[0].StartedAt = backfill.SlotStarted, &now
	value, err := json.Marshal(rec)
	require.NoError(t, err)
	_, err = kv.Update(ctx, key, value, ent.Revision())
	require.NoError(t, err)

	require.NoError(t, api.Call(ctx, env.NC, names, api.VerbJobBackfillCancel, api.BackfillCancelRequest{Name: "often", Reason: "enough"}, nil))
	_, got, err := claim.Acquire(ctx, claims(t, env), rec.Slots[0].ExecutionID, 9, 1, "w1", time.Now())
	require.NoError(t, err)
	require.Equal(t, claim.Finished, got, "the run, written and published after the cancel, does not run")
}

// TestCancelAskedAgainFinishesItsWork: a cancel writes the run's claim,
// then removes the run's pending key. The claim lives for a day; a run due
// later whose key stayed (the removal failed, and the cancel answered
// unavailable) would run once the claim is gone. Asked again, the cancel
// finds its own claim and removes the key, instead of answering that the
// run ended.
func TestCancelAskedAgainFinishesItsWork(t *testing.T) {
	t.Parallel()
	env := serve(t)
	ctx, names := t.Context(), env.Topo.Names()
	createJob(t, env, "later")
	var run api.RunResponse
	require.NoError(t, api.Call(ctx, env.NC, names, api.VerbJobEnqueue, api.EnqueueRequest{Name: "later", At: time.Now().Add(72 * time.Hour)}, &run))
	pend, err := env.JS.KeyValue(ctx, names.PendingBucket())
	require.NoError(t, err)
	ent, err := pend.Get(ctx, run.ExecutionID)
	require.NoError(t, err)

	var out api.CancelResponse
	require.NoError(t, api.Call(ctx, env.NC, names, api.VerbExecCancel, api.CancelRequest{ID: run.ExecutionID}, &out))
	require.Equal(t, "cancelled", out.Result)
	_, err = pend.Create(ctx, run.ExecutionID, ent.Value()) // as if its removal had failed
	require.NoError(t, err)

	require.NoError(t, api.Call(ctx, env.NC, names, api.VerbExecCancel, api.CancelRequest{ID: run.ExecutionID}, &out))
	require.Equal(t, "cancelled", out.Result)
	_, err = pend.Get(ctx, run.ExecutionID)
	require.True(t, errors.Is(err, jetstream.ErrKeyNotFound), "the key is removed: %v", err)
	err = api.Call(ctx, env.NC, names, api.VerbExecCancel, api.CancelRequest{ID: run.ExecutionID}, nil)
	require.ErrorIs(t, err, job.ErrConflict, "with nothing left to remove, the run has ended")
	require.ErrorContains(t, err, "already ended (cancelled)")
}

// TestCancelAgainLeavesTheLeadersRequest: a delayed run's cancel leaves a
// request in the pending bucket for the leader that holds the run. A
// second cancel found that key, took it for the run's own and removed it,
// so a leader that had not read it yet kept the run (its claim still kept
// it from running, for a day). The second cancel answers that the run
// ended, and the request stays.
func TestCancelAgainLeavesTheLeadersRequest(t *testing.T) {
	t.Parallel()
	env := serve(t)
	ctx, names := t.Context(), env.Topo.Names()
	createJob(t, env, "held")
	now := time.Now().UTC()
	id := job.ExecutionID("held", now.Truncate(time.Second))
	_, _, err := claim.Cancel(ctx, claims(t, env), id, 0, 0, "api a", now, time.Minute) // the first cancel's fence
	require.NoError(t, err)
	pend, err := env.JS.KeyValue(ctx, names.PendingBucket())
	require.NoError(t, err)
	req, err := json.Marshal(job.Pending{ID: id, Job: "held", At: now, Trigger: job.TriggerSchedule, Cancel: "stop", CreatedAt: now})
	require.NoError(t, err)
	_, err = pend.Create(ctx, id, req)
	require.NoError(t, err)

	err = api.Call(ctx, env.NC, names, api.VerbExecCancel, api.CancelRequest{ID: id}, nil)
	require.ErrorIs(t, err, job.ErrConflict)
	require.ErrorContains(t, err, "already ended (cancelled)")
	_, err = pend.Get(ctx, id)
	require.NoError(t, err, "the leader's request stays")
}
