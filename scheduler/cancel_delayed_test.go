package scheduler_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/scheduler"
)

// TestCancelledDelayedRunStaysCancelled: a cancel request for a delayed
// run (a key in the pending bucket) is what tells a next leader that the
// run must not run. The leader that drops the run used to remove the key
// as soon as its cancelled event was stored, while the stored state held
// the run until the next cursor flush: a leader whose term ended between
// the two (chaos seed 3731640499: a SIGSTOP of 12 s) left state that the
// next term loaded and published, a cancelled run run. The key now goes
// only with the flush that stores the state without the run
// (TestCancelRequestOutlivesTheStateThatHoldsTheRun checks the order).
// Here a leader drops the run; once its term has ended, the state and
// the pending bucket agree, and the run never reached the work stream.
func TestCancelledDelayedRunStaysCancelled(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id, state, pend := withCancelRequest(t, b)

	s := b.start(t, "leader", nil)
	natstest.Eventually(t, 10*time.Second, func() bool { return b.hasEvent(t, event.Cancelled, id) }, "the delayed run is cancelled")
	// Rounds after the one that dropped the run: tick fires twice more.
	ticks := countJob(b.works(t), "tick")
	natstest.Eventually(t, 10*time.Second, func() bool { return countJob(b.works(t), "tick") >= ticks+2 }, "the leader goes on")

	// The term ends: its last flush stores what it knows.
	requireDropped(t, b, s, state, id)
	_, err := pend.Get(t.Context(), id)
	require.True(t, errors.Is(err, jetstream.ErrKeyNotFound), "the request is removed once the state is stored: %v", err)
}

// TestRemovedStoredDelayedRunIsNotRun: a delayed manual or enqueued run
// keeps its key in the pending bucket; the API cancels it by removing the
// key, and a leader that published it removes the key too. A term that
// ended before its flush stored the state without the run left the run
// in the state with its key gone. The next term must not run it: here
// the job is idle, and the run, offered to the broker in the first round,
// would be published at once.
func TestRemovedStoredDelayedRunIsNotRun(t *testing.T) {
	t.Parallel()
	b := setup(t)
	now := time.Now().UTC()
	id := job.AdHocExecutionID("slow", now)
	state := withDelayedRun(t, b, job.Pending{ID: id, Job: "slow", At: now, Slot: now, Trigger: job.TriggerManual, CreatedAt: now, Stored: true})

	s := b.start(t, "leader", nil)
	natstest.Eventually(t, 10*time.Second, s.Leading)
	ticks := countJob(b.works(t), "tick")
	natstest.Eventually(t, 10*time.Second, func() bool { return countJob(b.works(t), "tick") >= ticks+2 }, "the leader goes on")
	requireDropped(t, b, s, state, id)
}

// TestDelayedRunCancelIsRecordedOnce: the API records the cancel of a
// delayed run itself, and leaves a request for the leader to drop it. A
// leader that learns of the request after the stream's duplicate window
// (elected after a long outage) recorded the cancel a second time: two
// ends. Here the API's event is stored under another message ID, as the
// window would no longer catch it; the leader drops the run and records
// nothing more.
func TestDelayedRunCancelIsRecordedOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id, state, pend := withCancelRequest(t, b)
	slot := time.Now().UTC().Truncate(time.Second)
	e := event.Event{V: event.Version, Kind: event.Cancelled, Job: "slow", Execution: id, Time: slot, Reason: "stop", Error: "stop"}
	data, err := json.Marshal(e)
	require.NoError(t, err)
	_, err = b.js.Publish(t.Context(), b.topo.Names().EventSubject("slow", id, string(event.Cancelled)), data, jetstream.WithMsgID("recorded long ago"))
	require.NoError(t, err)

	s := b.start(t, "leader", nil)
	natstest.Eventually(t, 10*time.Second, func() bool {
		_, err := pend.Get(t.Context(), id)
		return err != nil
	}, "the leader is done with the request")
	requireDropped(t, b, s, state, id)
	n := 0
	for _, e := range b.events(t, event.Cancelled) {
		if e.Execution == id {
			n++
		}
	}
	require.Equal(t, 1, n, "one cancelled event")
}

// withCancelRequest sets up slow running (its work subject holds an item)
// with its slot of this second waiting as its delayed run (withDelayedRun),
// and the API's cancel request for that run in the pending bucket. It
// returns the run's ID, the state bucket and the pending bucket.
func withCancelRequest(t *testing.T, b *bundle) (string, jetstream.KeyValue, jetstream.KeyValue) {
	t.Helper()
	names := b.topo.Names()
	slot := time.Now().UTC().Truncate(time.Second)
	id := job.ExecutionID("slow", slot)
	state := withDelayedRun(t, b, job.Pending{ID: id, Job: "slow", At: slot, Slot: slot, Trigger: job.TriggerSchedule})
	_, err := b.js.Publish(t.Context(), names.WorkSubject(job.DefaultQueue, "slow", "", true), []byte(`{}`))
	require.NoError(t, err)
	pend, err := b.js.KeyValue(t.Context(), names.PendingBucket())
	require.NoError(t, err)
	req, err := json.Marshal(job.Pending{ID: id, Job: "slow", At: slot, Trigger: job.TriggerSchedule, Cancel: "stop", CreatedAt: slot})
	require.NoError(t, err)
	_, err = pend.Create(t.Context(), id, req)
	require.NoError(t, err)
	return id, state, pend
}

// withDelayedRun makes the jobs slow (every hour, overlap delay) and tick
// (every second), stops their leader, and stores slow's state holding p as
// its delayed run, as a term that ended before its flush left it. It
// returns the state bucket.
func withDelayedRun(t *testing.T, b *bundle, p job.Pending) jetstream.KeyValue {
	t.Helper()
	s0 := b.start(t, "setup", nil)
	natstest.Eventually(t, 10*time.Second, s0.Leading)
	b.create(t, everyJob("slow", time.Hour, job.OverlapDelay))
	b.create(t, everyJob("tick", time.Second, job.OverlapAllow))
	require.NoError(t, s0.Stop(t.Context()))
	state, err := b.js.KeyValue(t.Context(), b.topo.Names().StateBucket())
	require.NoError(t, err)
	data, err := json.Marshal(job.Runtime{Buffered: &p})
	require.NoError(t, err)
	_, err = state.Put(t.Context(), "slow", data)
	require.NoError(t, err)
	return state
}

// requireDropped ends the term of s, which must have dropped slow's
// delayed run id: the run never reached the work stream, and the state
// stored at the end of the term holds no delayed run.
func requireDropped(t *testing.T, b *bundle, s *scheduler.Scheduler, state jetstream.KeyValue, id string) {
	t.Helper()
	require.NoError(t, s.Stop(t.Context()))
	for _, w := range b.works(t) {
		require.NotEqual(t, id, w.ID, "the dropped run is never published")
	}
	ent, err := state.Get(t.Context(), "slow")
	require.NoError(t, err)
	var rt job.Runtime
	require.NoError(t, json.Unmarshal(ent.Value(), &rt))
	require.Nil(t, rt.Buffered, "the state holds no delayed run")
}
