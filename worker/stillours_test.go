package worker

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/clock"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/worker/internal/claim"
)

// TestStillOursBeforeTheTaskStarts: an attempt whose claim another attempt
// took over while it waited (for example on its started event during a
// NATS election) must not start its task. The fault suite found a slot
// run to completion by attempt 2 after attempt 3 had recorded the result.
func TestStillOursBeforeTheTaskStarts(t *testing.T) {
	t.Parallel()
	env := natstest.Ensured(t)
	js, topo := env.JS, env.Topo
	kv, err := js.KeyValue(t.Context(), topo.Names().ClaimsBucket())
	require.NoError(t, err)
	w := &Worker{cfg: Config{Topology: topo, Clock: clock.New()}}
	now := time.Now()
	const id = "tick-20260301T120000Z"

	mine, out, err := claim.Acquire(t.Context(), kv, id, 7, 2, "w1", now)
	require.NoError(t, err)
	require.Equal(t, claim.Acquired, out)
	x := &execution{w: w, work: job.Work{ID: id, Spec: job.Spec{Queue: job.DefaultQueue}}, claim: mine, ctx: context.Background()}
	require.True(t, x.stillOurs(t.Context()), "a held claim lets the task start")

	// Attempt 3 takes the execution over while attempt 2 waits.
	_, out, err = claim.Acquire(t.Context(), kv, id, 7, 3, "w2", now.Add(time.Second))
	require.NoError(t, err)
	require.Equal(t, claim.TookOver, out)
	require.False(t, x.stillOurs(t.Context()), "a superseded attempt does not start its task")

	// The heartbeat already learned it.
	ctx, stop := context.WithCancelCause(context.Background())
	stop(claim.ErrSuperseded)
	y := &execution{w: w, work: x.work, claim: mine, ctx: ctx}
	require.False(t, y.stillOurs(t.Context()))
}
