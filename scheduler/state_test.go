package scheduler

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
)

// TestFlushInFlight: the leader's loop goes on while a flush is sent. What
// it changes meanwhile stays dirty and is written next, expecting the
// revision the flush wrote; what the flush failed to write is dirty again;
// a job deleted before the flush that created its key had answered still
// loses its key.
func TestFlushInFlight(t *testing.T) {
	t.Parallel()
	env := natstest.Ensured(t)
	nc, js, topo := env.NC, env.JS, env.Topo
	ctx := t.Context()
	kv, err := js.KeyValue(ctx, topo.Names().StateBucket())
	require.NoError(t, err)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	slot := func(name string) time.Time {
		t.Helper()
		fresh := newStateStore(kv, 0)
		require.NoError(t, fresh.load(ctx))
		return fresh.get(name).rt.LastSlot
	}

	st := newStateStore(kv, 3)
	for _, name := range []string{"kept", "gone"} {
		st.get(name).rt.LastSlot = t0
		st.markDirty(name)
	}
	b := st.take()
	require.False(t, st.pending(), "taken entries are no longer dirty")
	// While it is in flight: kept moves on, gone is deleted (its key does
	// not exist yet, so remove knows of nothing to delete).
	st.get("kept").rt.LastSlot = t0.Add(time.Minute)
	st.markDirty("kept")
	st.remove("gone")
	require.Empty(t, st.deleted)
	st.send(ctx, nc, js, b)
	require.Equal(t, t0, slot("kept"), "the flush wrote the value it took")
	require.Equal(t, t0, slot("gone"))
	require.NoError(t, st.settle(b))
	require.True(t, st.dirty["kept"])
	require.True(t, st.deleted["gone"], "a key created for a job deleted meanwhile is deleted next")

	require.NoError(t, st.flush(ctx, nc, js), "the next flush expects the revision the first wrote")
	require.Equal(t, t0.Add(time.Minute), slot("kept"))
	_, err = kv.Get(ctx, "gone")
	require.ErrorIs(t, err, jetstream.ErrKeyNotFound)
	require.False(t, st.pending())

	// A write that fails is dirty again; so is its entry's later value.
	st.get("kept").rt.LastSlot = t0.Add(2 * time.Minute)
	st.markDirty("kept")
	b = st.take()
	dead, cancel := context.WithCancel(ctx)
	cancel()
	st.send(dead, nc, js, b)
	require.Error(t, st.settle(b))
	require.True(t, st.dirty["kept"])
	require.NoError(t, st.flush(ctx, nc, js))
	require.Equal(t, t0.Add(2*time.Minute), slot("kept"))

	// A newer term's write makes the flush stale, in flight or not.
	newer := newStateStore(kv, 4)
	require.NoError(t, newer.load(ctx))
	newer.get("kept").rt.LastSlot = t0.Add(3 * time.Minute)
	newer.markDirty("kept")
	require.NoError(t, newer.flush(ctx, nc, js))
	st.get("kept").rt = job.Runtime{LastSlot: t0.Add(4 * time.Minute)}
	st.markDirty("kept")
	require.ErrorIs(t, st.flush(ctx, nc, js), errStale)
	require.Equal(t, t0.Add(3*time.Minute), slot("kept"))
}
