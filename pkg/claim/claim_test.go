package claim

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/pkg/streamio"
)

// bucket returns the claims bucket of a fresh topology: the client's own,
// or (batched) with its writes group-committed, as the worker uses it.
func bucket(t *testing.T, batched bool) jetstream.KeyValue {
	t.Helper()
	env := natstest.Ensured(t)
	js, topo := env.JS, env.Topo
	kv, err := js.KeyValue(t.Context(), topo.Names().ClaimsBucket())
	require.NoError(t, err)
	if !batched {
		return kv
	}
	c := streamio.NewCommitter(env.NC, js, streamio.CommitterConfig{Direct: -1}) // every write through a batch
	t.Cleanup(func() { _ = c.Stop(context.Background()) })
	return Batched(kv, c, "")
}

// bothBuckets runs test against the client's bucket and the batched one.
func bothBuckets(t *testing.T, test func(t *testing.T, kv jetstream.KeyValue)) {
	t.Helper()
	for _, batched := range []bool{false, true} {
		t.Run(fmt.Sprintf("Batched=%t", batched), func(t *testing.T) {
			t.Parallel()
			test(t, bucket(t, batched))
		})
	}
}

var now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestAcquireLifecycle(t *testing.T) {
	t.Parallel()
	bothBuckets(t, func(t *testing.T, kv jetstream.KeyValue) {
		ctx := t.Context()
		const id = "job-20260101T000000Z"

		a, got, err := Acquire(ctx, kv, id, 7, 1, "w1", now)
		require.NoError(t, err)
		require.Equal(t, Acquired, got)

		// A second copy of the execution (another message) is a duplicate.
		_, got, err = Acquire(ctx, kv, id, 8, 1, "w2", now)
		require.NoError(t, err)
		require.Equal(t, Duplicate, got)

		// A failed attempt hands the execution back: the retry is not a takeover.
		require.NoError(t, a.Failed(ctx, now))
		b, got, err := Acquire(ctx, kv, id, 7, 2, "w2", now)
		require.NoError(t, err)
		require.Equal(t, Acquired, got)
		require.Equal(t, 1, b.Record().Failures)

		// An attempt that could not start releases it: no failure counted,
		// and the next delivery is not a takeover either.
		require.NoError(t, b.Release(ctx, now))
		b, got, err = Acquire(ctx, kv, id, 7, 3, "w1", now)
		require.NoError(t, err)
		require.Equal(t, Acquired, got)
		require.Equal(t, 1, b.Record().Failures, "a release is not a failure")
		require.Equal(t, 3, b.Record().Attempt)

		// A redelivery after attempt 3 was lost takes it over; attempt 3 is fenced.
		c, got, err := Acquire(ctx, kv, id, 7, 4, "w3", now)
		require.NoError(t, err)
		require.Equal(t, TookOver, got)
		require.Equal(t, 3, c.Previous.Attempt)
		require.ErrorIs(t, b.Finish(ctx, "succeeded", now), ErrSuperseded)
		require.ErrorIs(t, b.Renew(ctx, now), ErrSuperseded)

		// The current attempt records the result; a later delivery is finished.
		require.NoError(t, c.Finish(ctx, "succeeded", now))
		_, got, err = Acquire(ctx, kv, id, 7, 5, "w1", now)
		require.NoError(t, err)
		require.Equal(t, Finished, got)

		// An older delivery than the holder's is stale.
		d, _, err := Acquire(ctx, kv, "other-20260101T000000Z", 9, 5, "w1", now)
		require.NoError(t, err)
		require.NotNil(t, d)
		_, got, err = Acquire(ctx, kv, "other-20260101T000000Z", 9, 4, "w2", now)
		require.NoError(t, err)
		require.Equal(t, Stale, got)
	})
}

// TestOwnLostWriteIsNotSuperseded: a write of ours that was applied after
// we stopped waiting for its answer leaves the claim ours.
func TestOwnLostWriteIsNotSuperseded(t *testing.T) {
	t.Parallel()
	bothBuckets(t, func(t *testing.T, kv jetstream.KeyValue) {
		ctx := t.Context()
		c, _, err := Acquire(ctx, kv, "job-20260101T000001Z", 1, 1, "w1", now)
		require.NoError(t, err)
		stale := *c                                            // what we believed before the lost answer
		require.NoError(t, c.Renew(ctx, now.Add(time.Second))) // the write whose answer "was lost"
		require.NoError(t, stale.Renew(ctx, now.Add(2*time.Second)), "our own applied write is not another attempt")
		require.NoError(t, stale.Finish(ctx, "succeeded", now.Add(3*time.Second)))
		ent, err := kv.Get(ctx, "job-20260101T000001Z")
		require.NoError(t, err)
		require.Contains(t, string(ent.Value()), `"final":"succeeded"`)
	})
}

// TestDeliveryCountReset: a server that crashed before persisting its
// consumer's state delivers a message again with the count it had already
// delivered. The attempt that runs it is a new one: its number follows the
// claim's, so its events and its log do not replace the lost attempt's.
func TestDeliveryCountReset(t *testing.T) {
	t.Parallel()
	bothBuckets(t, func(t *testing.T, kv jetstream.KeyValue) {
		ctx := t.Context()
		const id = "job-20260101T000002Z"

		lost, _, err := Acquire(ctx, kv, id, 3, 1, "w-before-the-crash", now)
		require.NoError(t, err)
		again, got, err := Acquire(ctx, kv, id, 3, 1, "w-after-the-crash", now.Add(time.Minute))
		require.NoError(t, err)
		require.Equal(t, TookOver, got)
		require.Equal(t, 2, again.Record().Attempt, "the re-run is attempt 2, although delivered once")
		require.Equal(t, 1, again.Previous.Attempt)
		require.ErrorIs(t, lost.Renew(ctx, now), ErrSuperseded)

		// The next delivery of that message (count 2) takes attempt 2 over as 3.
		third, got, err := Acquire(ctx, kv, id, 3, 2, "w3", now.Add(2*time.Minute))
		require.NoError(t, err)
		require.Equal(t, TookOver, got)
		require.Equal(t, 3, third.Record().Attempt)

		// Its own lost try is still recognised by the delivery count.
		same, got, err := Acquire(ctx, kv, id, 3, 2, "w3", now.Add(2*time.Minute))
		require.NoError(t, err)
		require.Equal(t, Acquired, got)
		require.Equal(t, 3, same.Record().Attempt)
	})
}
