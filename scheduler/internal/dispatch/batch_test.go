package dispatch

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/pkg/streamio"
)

// Enough items for several atomic batches in flight: the batch holding an
// item already stored is refused and published one by one (that item is a
// Duplicate), the others are stored as batches.
func TestPublishRefusedBatchAmongOthers(t *testing.T) {
	t.Parallel()
	env := natstest.Ensured(t)
	nc, js, topo := env.NC, env.JS, env.Topo
	d := New(nc, js, topo.Names(), nil)
	slot := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	n := 3*streamio.MaxAtomicBatch + streamio.MinAtomicBatch
	items := make([]Item, n)
	for i := range items {
		items[i] = item("job-"+strconv.Itoa(i), slot, i%2 == 0)
	}
	stored := streamio.MaxAtomicBatch + 5 // in the second batch
	first := d.Publish(t.Context(), items[stored:stored+1], always)
	require.Equal(t, Published, first[0].Outcome)

	rs := d.Publish(t.Context(), items, always)

	for i, r := range rs {
		want := Published
		if i == stored {
			want = Duplicate
		}
		require.Equal(t, want, r.Outcome, "item %d", i)
		require.NoError(t, r.Err)
		require.NotZero(t, r.Seq)
	}
	require.Equal(t, uint64(n), natstest.MsgCount(t, js, topo.Names().WorkStream()))
}
