package plan

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/schedule"
)

func skipBetween(from, to time.Time) func(time.Time) (string, bool) {
	return func(t time.Time) (string, bool) {
		if !t.Before(from) && t.Before(to) {
			return "calendar c", true
		}
		return "", false
	}
}

// Slots a calendar skips are listed as skipped, not fired, and the cursor
// passes them; they do not count as fires towards completions.
func TestDueSkipsCalendarSlots(t *testing.T) {
	p := newTable()
	require.True(t, p.Upsert(Entry{Job: "j", Schedule: schedule.Every{Interval: time.Second}, Window: time.Minute,
		Cursor: t0, Remaining: 4, Skip: skipBetween(t0.Add(2*time.Second), t0.Add(5*time.Second))}))
	ds := p.Due(t0.Add(3*time.Second), 0)
	require.Len(t, ds, 1)
	d := ds[0]
	require.Equal(t, []time.Time{t0.Add(time.Second)}, slotsOf(d.Fire))
	require.Len(t, d.Skipped, 2)
	require.Equal(t, t0.Add(2*time.Second), d.Skipped[0].At)
	require.Equal(t, "calendar c", d.Skipped[0].Reason)
	require.Equal(t, t0.Add(3*time.Second), d.Cursor, "past the skipped slots")
	require.False(t, d.Done)

	// Only skipped slots due: nothing fires, the cursor moves.
	ds = p.Due(t0.Add(4*time.Second), 0)
	require.Len(t, ds, 1)
	require.Empty(t, ds[0].Fire)
	require.Len(t, ds[0].Skipped, 1)
	require.Equal(t, t0.Add(4*time.Second), ds[0].Cursor)

	// Three fires remain of four; the skipped slots did not count.
	ds = p.Due(t0.Add(20*time.Second), 0)
	require.Len(t, ds, 1)
	require.Equal(t, []time.Time{t0.Add(5 * time.Second), t0.Add(6 * time.Second), t0.Add(7 * time.Second)}, slotsOf(ds[0].Fire))
	require.True(t, ds[0].Done)
	require.Empty(t, ds[0].Skipped)
}

// Without a Skip, nothing changes.
func TestDueNoSkip(t *testing.T) {
	p := newTable()
	p.Upsert(Entry{Job: "j", Schedule: schedule.Every{Interval: time.Second}, Window: time.Minute, Cursor: t0, Remaining: -1})
	ds := p.Due(t0.Add(3*time.Second), 0)
	require.Len(t, ds[0].Fire, 3)
	require.Empty(t, ds[0].Skipped)
}
