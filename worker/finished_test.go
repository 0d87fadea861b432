package worker_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/worker"
)

// TestFinishedClaimRecordsTheLostFinalEvent: an attempt recorded its result
// in the claim, but its final event never reached the events stream (the
// answer of the claims bucket was lost during a NATS election and the
// worker left the message for redelivery). The redelivery must not run the
// task again, and must not ack before the final event exists: the fault
// suite found an execution acked without any final event.
func TestFinishedClaimRecordsTheLostFinalEvent(t *testing.T) {
	t.Parallel()
	env := natstest.Ensured(t)
	nc, js, topo := env.NC, env.JS, env.Topo
	ctx := t.Context()
	names := topo.Names()

	marker := filepath.Join(t.TempDir(), "ran")
	w, seq := publishSlot(t, js, names, job.Spec{Name: "once", Schedule: job.Schedule{Every: job.Duration(time.Hour)},
		Task: job.Task{Kind: job.TaskCommand, Command: []string{"touch", marker}}})

	// What the lost attempt left: a final result in the claim, no event.
	claims, err := js.KeyValue(ctx, names.ClaimsBucket())
	require.NoError(t, err)
	rec, _ := json.Marshal(map[string]any{"seq": seq, "attempt": 1, "worker": "gone", "final": "succeeded", "heartbeat": testSlot.Add(time.Second)})
	_, err = claims.Create(ctx, w.ID, rec)
	require.NoError(t, err)

	startWorker(t, env, worker.Config{})

	reader := event.NewReader(nc, js, names)
	natstest.Eventually(t, 20*time.Second, func() bool {
		x, err := reader.Get(ctx, w.ID)
		return err == nil && x.State == job.StateSucceeded
	}, "the final event is recorded")
	natstest.Eventually(t, 20*time.Second, func() bool {
		st, err := js.Stream(ctx, names.WorkStream())
		return err == nil && st.CachedInfo().State.Msgs == 0
	}, "and the message acked")
	evs, err := reader.Events(ctx, w.ID)
	require.NoError(t, err)
	require.Len(t, evs, 1)
	require.Equal(t, event.Succeeded, evs[0].Kind)
	require.Equal(t, 1, evs[0].Attempt)
	require.Equal(t, "gone", evs[0].Worker)
	_, err = os.Stat(marker)
	require.ErrorIs(t, err, os.ErrNotExist, "the task did not run again")
}
