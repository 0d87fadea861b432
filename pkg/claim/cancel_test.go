package claim

import (
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
)

// TestCancelFencesEveryLaterAttempt: a cancel that finds no claim, or a
// claim handed back for a retry, or one whose holder is lost, writes the
// claim finished, and every delivery of the execution after it finds it
// finished and does not run; a lost holder that wakes up is superseded.
func TestCancelFencesEveryLaterAttempt(t *testing.T) {
	t.Parallel()
	kv := bucket(t, false)
	ctx := t.Context()
	const lost = 30 * time.Second

	// Not published yet (a pending run): any message of it is finished.
	const pending = "job-20260101T000001Z"
	got, rec, err := Cancel(ctx, kv, pending, 0, 0, "api a", now, lost)
	require.NoError(t, err)
	require.Equal(t, Fenced, got)
	require.Equal(t, "cancelled", rec.Final)
	c, out, err := Acquire(ctx, kv, pending, 42, 1, "w1", now)
	require.NoError(t, err)
	require.Equal(t, Finished, out, "the message the scheduler published as the cancel was answered is not run")
	require.Equal(t, "api a", c.Record().Worker)
	require.Zero(t, c.Record().Attempt, "one message ID with the cancel's event")

	// Waiting in the work stream, seq 7: a worker that received it finds
	// it finished; another copy of it is a duplicate.
	const waiting = "job-20260101T000002Z"
	got, _, err = Cancel(ctx, kv, waiting, 7, 0, "api a", now, lost)
	require.NoError(t, err)
	require.Equal(t, Fenced, got)
	_, out, err = Acquire(ctx, kv, waiting, 7, 1, "w1", now)
	require.NoError(t, err)
	require.Equal(t, Finished, out)
	_, out, err = Acquire(ctx, kv, waiting, 8, 1, "w1", now)
	require.NoError(t, err)
	require.Equal(t, Duplicate, out)

	// Held by a live attempt: unchanged, and the attempt goes on.
	const held = "job-20260101T000003Z"
	h, _, err := Acquire(ctx, kv, held, 9, 1, "w1", now)
	require.NoError(t, err)
	got, rec, err = Cancel(ctx, kv, held, 9, 0, "api a", now.Add(lost-time.Second), lost)
	require.NoError(t, err)
	require.Equal(t, Held, got)
	require.Equal(t, "w1", rec.Worker)
	require.NoError(t, h.Renew(ctx, now.Add(lost)))

	// The holder stops renewing for the ack wait: it is lost; the cancel
	// takes the claim, the redelivery finds it finished, and the holder,
	// waking up, is superseded.
	got, _, err = Cancel(ctx, kv, held, 9, 0, "api a", now.Add(2*lost), lost)
	require.NoError(t, err)
	require.Equal(t, Fenced, got)
	_, out, err = Acquire(ctx, kv, held, 9, 2, "w2", now.Add(2*lost))
	require.NoError(t, err)
	require.Equal(t, Finished, out)
	require.ErrorIs(t, h.Renew(ctx, now.Add(2*lost)), ErrSuperseded)

	// Handed back for a retry: the retry does not run.
	const retry = "job-20260101T000004Z"
	r, _, err := Acquire(ctx, kv, retry, 10, 1, "w1", now)
	require.NoError(t, err)
	require.NoError(t, r.Failed(ctx, now))
	got, rec, err = Cancel(ctx, kv, retry, 10, 0, "api a", now, lost)
	require.NoError(t, err)
	require.Equal(t, Fenced, got)
	require.Equal(t, 1, rec.Failures)
	require.NotNil(t, rec.Previous, "the claim it took over")
	require.Equal(t, 1, rec.Previous.Attempt)
	require.Equal(t, "w1", rec.Previous.Worker)
	_, out, err = Acquire(ctx, kv, retry, 10, 2, "w2", now)
	require.NoError(t, err)
	require.Equal(t, Finished, out)

	// Ended: said so, and unchanged.
	const ended = "job-20260101T000005Z"
	e, _, err := Acquire(ctx, kv, ended, 11, 1, "w1", now)
	require.NoError(t, err)
	require.NoError(t, e.Finish(ctx, "succeeded", now))
	got, rec, err = Cancel(ctx, kv, ended, 11, 0, "api a", now, lost)
	require.NoError(t, err)
	require.Equal(t, Over, got)
	require.Equal(t, "succeeded", rec.Final)

	// A holder is never lost when lost is 0 (the scheduler's replace).
	got, _, err = Cancel(ctx, kv, "job-20260101T000006Z", 12, 1, "scheduler s", now, 0)
	require.NoError(t, err)
	require.Equal(t, Fenced, got)
	const replaced = "job-20260101T000007Z"
	_, _, err = Acquire(ctx, kv, replaced, 13, 1, "w1", now)
	require.NoError(t, err)
	got, _, err = Cancel(ctx, kv, replaced, 13, 1, "scheduler s", now.Add(time.Hour), 0)
	require.NoError(t, err)
	require.Equal(t, Held, got)
}

// TestCancelRacingAcquire: a cancel and a delivery racing for a fresh
// execution: exactly one wins, and the loser learns it.
func TestCancelRacingAcquire(t *testing.T) {
	t.Parallel()
	bothBuckets(t, func(t *testing.T, kv jetstream.KeyValue) {
		for i := range 20 {
			id := fmt.Sprintf("job-20260101T0000%02dZ", i)
			var cancelled CancelOutcome
			errc := make(chan error, 1)
			go func() {
				var err error
				cancelled, _, err = Cancel(t.Context(), kv, id, 0, 0, "api a", now, time.Minute)
				errc <- err
			}()
			_, acquired, err := Acquire(t.Context(), kv, id, 5, 1, "w1", now)
			require.NoError(t, err)
			require.NoError(t, <-errc)
			if cancelled == Fenced {
				require.Equal(t, Finished, acquired, "a cancelled execution is not run")
			} else {
				require.Equal(t, Held, cancelled)
				require.Equal(t, Acquired, acquired)
			}
		}
	})
}
