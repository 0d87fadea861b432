package scheduler

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/leader"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/scheduler/internal/catalog"
)

// TestCancelRequestOutlivesTheStateThatHoldsTheRun drives a leader's round
// by hand: the cancel request of a delayed run is dropped with the run,
// its cancelled event is stored, the round's purges are done, and the
// request's key must still be there, for the state still holds the run
// until a cursor flush stores it without (TestCancelledDelayedRunStays-
// Cancelled has the whole story). The flush removes it.
func TestCancelRequestOutlivesTheStateThatHoldsTheRun(t *testing.T) {
	t.Parallel()
	env := natstest.Ensured(t)
	ctx := t.Context()
	names := env.Topo.Names()
	stateKV, err := env.JS.KeyValue(ctx, names.StateBucket())
	require.NoError(t, err)
	pendKV, err := env.JS.KeyValue(ctx, names.PendingBucket())
	require.NoError(t, err)

	slot := time.Date(2026, 12, 5, 19, 20, 44, 0, time.UTC)
	id := job.ExecutionID("slow", slot)
	var held job.Runtime
	held.Buffered = &job.Pending{ID: id, Job: "slow", At: slot, Slot: slot, Trigger: job.TriggerSchedule}
	data, err := json.Marshal(held)
	require.NoError(t, err)
	_, err = stateKV.Put(ctx, "slow", data)
	require.NoError(t, err)
	req := job.Pending{ID: id, Job: "slow", At: slot, Trigger: job.TriggerSchedule, Cancel: "stop", CreatedAt: slot}
	data, err = json.Marshal(req)
	require.NoError(t, err)
	rev, err := pendKV.Create(ctx, id, data)
	require.NoError(t, err)

	s, err := New(env.NC, Config{Topology: env.Topo})
	require.NoError(t, err)
	r := newLeaderRun(s, &leader.Lease{})
	r.state, r.pending.kv = newStateStore(stateKV, 1), pendKV
	require.NoError(t, r.state.load(ctx))
	r.loadDelayed()

	r.pendingChanged(ctx, catalog.Change[job.Pending]{Key: id, Value: &req, Revision: rev})
	require.Nil(t, r.state.get("slow").rt.Buffered, "the run is dropped")
	r.awaitEvents(ctx)
	r.flushPurges(ctx)
	require.Empty(t, r.events.queued, "the cancelled event is stored")
	_, err = pendKV.Get(ctx, id)
	require.NoError(t, err, "the request stays while the stored state holds the run")

	r.startFlush(ctx)
	require.NoError(t, r.settleFlush(ctx, <-r.flush.done))
	ent, err := stateKV.Get(ctx, "slow")
	require.NoError(t, err)
	var rt job.Runtime
	require.NoError(t, json.Unmarshal(ent.Value(), &rt))
	require.Nil(t, rt.Buffered, "the stored state holds no delayed run")
	_, err = pendKV.Get(ctx, id)
	require.True(t, errors.Is(err, jetstream.ErrKeyNotFound), "the request goes with the flush: %v", err)
}
