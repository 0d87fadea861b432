package apiservice

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/pkg/streamio"
)

// TestDeleteWorkOfAGoneMessage: a cancel removes the work message of the
// run it fenced; a message a worker acked meanwhile (it found the claim
// finished) is gone already, which is what the cancel wanted, not an
// error that would make it answer unavailable.
func TestDeleteWorkOfAGoneMessage(t *testing.T) {
	t.Parallel()
	env := natstest.Ensured(t)
	s, err := NewService(env.NC, env.JS, Config{Topology: env.Topo})
	require.NoError(t, err)
	require.NoError(t, s.Start(t.Context()))
	t.Cleanup(func() { _ = s.Stop(context.Background()) })
	ctx, names := t.Context(), env.Topo.Names()
	var seqs []uint64
	for _, id := range []string{"x-20260101T000000Z", "x-20260101T000001Z"} {
		ack, err := env.JS.Publish(ctx, names.WorkSubject(job.DefaultQueue, "x", id, false), []byte(`{}`))
		require.NoError(t, err)
		seqs = append(seqs, ack.Sequence)
	}
	stream, err := env.JS.Stream(ctx, names.WorkStream())
	require.NoError(t, err)
	require.NoError(t, stream.DeleteMsg(ctx, seqs[0])) // acked by the worker

	require.NoError(t, s.deleteWork(ctx, seqs[0]), "gone already")
	require.NoError(t, s.deleteWork(ctx, seqs[1]))
	msgs, err := streamio.DirectBatch(ctx, env.NC, streamio.DirectRequest{Stream: names.WorkStream(), Seq: 1, Batch: 10})
	require.NoError(t, err)
	require.Empty(t, msgs, "both are gone")
}
