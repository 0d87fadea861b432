package claim

import (
	"sync"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
)

// Batched keeps the client's answers for claim writes: a wrong revision is
// ErrKeyRevisionMismatch, an existing key ErrKeyExists, a deleted key can be
// created again, and a bad key is refused before anything is sent.
func TestBatchedWrites(t *testing.T) {
	t.Parallel()
	kv := bucket(t, true)
	ctx := t.Context()

	rev, err := kv.Create(ctx, "a", []byte("1"))
	require.NoError(t, err)
	_, err = kv.Create(ctx, "a", []byte("2"))
	require.ErrorIs(t, err, jetstream.ErrKeyExists)
	_, err = kv.Update(ctx, "a", []byte("2"), rev+5)
	require.ErrorIs(t, err, jetstream.ErrKeyRevisionMismatch)
	rev2, err := kv.Update(ctx, "a", []byte("2"), rev)
	require.NoError(t, err)
	ent, err := kv.Get(ctx, "a")
	require.NoError(t, err)
	require.Equal(t, rev2, ent.Revision())
	require.Equal(t, "2", string(ent.Value()))

	require.NoError(t, kv.Delete(ctx, "a"))
	_, err = kv.Create(ctx, "a", []byte("3"))
	require.NoError(t, err, "create over a deleted key, as the client does")
	_, err = kv.Create(ctx, "..bad", []byte("x"))
	require.ErrorIs(t, err, jetstream.ErrInvalidKey)
}

// Workers of one process racing for the same execution (two copies of it)
// with their creates in one batch: exactly one holds it.
func TestBatchedRacingAcquires(t *testing.T) {
	t.Parallel()
	kv := bucket(t, true)
	const n = 8
	outs := make([]Outcome, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, got, err := Acquire(t.Context(), kv, "job-20260101T000009Z", uint64(100+i), 1, "w", now)
			require.NoError(t, err)
			outs[i] = got
		})
	}
	wg.Wait()
	held := 0
	for _, o := range outs {
		if o == Acquired {
			held++
		} else {
			require.Equal(t, Duplicate, o)
		}
	}
	require.Equal(t, 1, held, "%v", outs)
}
