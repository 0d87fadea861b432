package event_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/natstest"
)

// TestJobEventsSince reads one job's events stored from a time on, across
// batches, and stops at its bound.
func TestJobEventsSince(t *testing.T) {
	t.Parallel()
	env := natstest.Ensured(t)
	names := env.Topo.Names()
	seed(t, env.JS, names, "audited", 10) // 30 events of the job, stored before mark
	stream, err := env.JS.Stream(t.Context(), names.EventsStream())
	require.NoError(t, err)
	mark := stream.CachedInfo().State.LastTime.Add(time.Nanosecond) // the stream's own clock
	seed(t, env.JS, names, "audited", 700)                          // 690 more slots (the first 10 are deduplicated): 2,070 events
	r := event.NewReader(env.NC, env.JS, names)

	evs, err := r.JobEventsSince(t.Context(), "audited", mark, 10_000)
	require.NoError(t, err)
	require.Equal(t, 2070, len(evs))
	for i, e := range evs {
		require.Equal(t, "audited", e.Job)
		if i > 0 {
			require.Greater(t, e.Seq, evs[i-1].Seq)
		}
	}
	all, err := r.JobEventsSince(t.Context(), "audited", time.Time{}, 10_000)
	require.NoError(t, err)
	require.Equal(t, 2100, len(all))

	_, err = r.JobEventsSince(t.Context(), "audited", mark, 1500)
	require.ErrorIs(t, err, event.ErrTooManyEvents)
}
