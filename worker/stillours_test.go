package worker

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/claim"
	"github.com/jetcron/jetcron/pkg/clock"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
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

// TestStillOursAsksOnlyAfterAHeartbeatInterval: a delivery younger than a
// heartbeat interval starts its task without asking the claims bucket (no
// redelivery can have taken it over yet); an older one asks, and learns of
// a takeover.
func TestStillOursAsksOnlyAfterAHeartbeatInterval(t *testing.T) {
	t.Parallel()
	env := natstest.Ensured(t)
	kv, err := env.JS.KeyValue(t.Context(), env.Topo.Names().ClaimsBucket())
	require.NoError(t, err)
	clk := clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	w := &Worker{cfg: Config{Topology: env.Topo, Clock: clk}}
	const id = "tick-20260301T120000Z"
	mine, _, err := claim.Acquire(t.Context(), kv, id, 7, 1, "w1", clk.Now())
	require.NoError(t, err)
	x := &execution{w: w, work: job.Work{ID: id, Spec: job.Spec{Queue: job.DefaultQueue}}, claim: mine, ctx: context.Background(), received: clk.Now()}
	_, out, err := claim.Acquire(t.Context(), kv, id, 7, 2, "w2", clk.Now())
	require.NoError(t, err)
	require.Equal(t, claim.TookOver, out)

	every := w.heartbeatEvery(job.DefaultQueue)
	clk.Advance(every - time.Millisecond)
	require.True(t, x.stillOurs(t.Context()), "a young delivery does not ask")
	clk.Advance(time.Millisecond)
	require.False(t, x.stillOurs(t.Context()), "an older one asks and learns it was superseded")
}
