package scheduler_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/claim"
	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
)

// TestSkipOfARunCancelledAtItsTime: the API cancelled an enqueued run of a
// busy overlap-skip job as it fell due, and the leader, deciding about it
// from its own copy of the pending bucket, recorded it skipped: two ends
// for one run (chaos seeds 2289104283 and 375254342, `[skipped
// cancelled]`). The run's claim decides now: here the cancel wrote it
// first, and the leader records nothing; a run no cancel reached is still
// recorded skipped, and its claim says so.
func TestSkipOfARunCancelledAtItsTime(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx, names := t.Context(), b.topo.Names()
	s := b.start(t, "leader", nil)
	natstest.Eventually(t, 10*time.Second, s.Leading)
	b.create(t, everyJob("busy", 24*time.Hour, job.OverlapSkip)) // no worker: a run stays on the work stream
	var first api.RunResponse
	require.NoError(t, api.Call(ctx, b.nc, names, api.VerbJobEnqueue, api.EnqueueRequest{Name: "busy", At: time.Now()}, &first))
	natstest.Eventually(t, 10*time.Second, func() bool { return b.hasEvent(t, event.Scheduled, first.ExecutionID) }, "busy runs")

	// The cancel's claim is written; its removal of the key has not
	// reached the leader.
	claims, err := b.js.KeyValue(ctx, names.ClaimsBucket())
	require.NoError(t, err)
	now := time.Now().UTC()
	cancelled := job.AdHocExecutionID("busy", now)
	got, _, err := claim.Cancel(ctx, claims, cancelled, 0, 0, "api a", now, time.Minute)
	require.NoError(t, err)
	require.Equal(t, claim.Fenced, got)
	pend, err := b.js.KeyValue(ctx, names.PendingBucket())
	require.NoError(t, err)
	skipped := job.AdHocExecutionID("busy", now.Add(time.Millisecond))
	for _, id := range []string{cancelled, skipped} {
		data, err := json.Marshal(job.Pending{ID: id, Job: "busy", At: now, Trigger: job.TriggerEnqueue, CreatedAt: now})
		require.NoError(t, err)
		_, err = pend.Create(ctx, id, data)
		require.NoError(t, err)
	}

	natstest.Eventually(t, 10*time.Second, func() bool { return b.hasEvent(t, event.Skipped, skipped) }, "the other run is skipped")
	natstest.Eventually(t, 10*time.Second, func() bool {
		_, err := pend.Get(ctx, cancelled)
		return err != nil
	}, "the leader is done with the cancelled run")
	require.False(t, b.hasEvent(t, event.Skipped, cancelled), "a run a cancel ended is not recorded skipped too")
	ent, err := claims.Get(ctx, skipped)
	require.NoError(t, err)
	var rec claim.Record
	require.NoError(t, json.Unmarshal(ent.Value(), &rec))
	require.Equal(t, string(job.StateSkipped), rec.Final, "the skipped run's claim says so: a cancel after it answers that it ended")
}
