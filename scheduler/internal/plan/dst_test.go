package plan

import (
	"testing"
	"time"

	_ "time/tzdata"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/schedule"
)

// fires runs a plan with one job minute by minute over [from, to) and
// returns the slots it fired.
func fires(t *testing.T, spec, zone string, from, to time.Time) []time.Time {
	t.Helper()
	loc, err := schedule.LoadLocation(zone)
	require.NoError(t, err)
	c, err := schedule.ParseCron(spec, loc)
	require.NoError(t, err)
	p := newTable()
	require.True(t, p.Upsert(Entry{Job: "j", Schedule: c, Window: 5 * time.Minute, NotBefore: from, Remaining: -1}))
	var out []time.Time
	for now := from; now.Before(to); now = now.Add(time.Minute) {
		for _, d := range p.Due(now, 0) {
			require.Empty(t, d.Missed, "a clock that never stops misses nothing")
			for _, f := range d.Fire {
				out = append(out, f.At)
			}
		}
	}
	return out
}

func TestPlanAcrossDST(t *testing.T) {
	t.Parallel()
	type window struct {
		zone     string
		from, to string // local day around the transition
	}
	days := map[string][]window{
		"spring": {
			{"America/New_York", "2026-03-07T12:00:00-05:00", "2026-03-09T12:00:00-04:00"},
			{"Europe/Berlin", "2026-03-28T12:00:00+01:00", "2026-03-30T12:00:00+02:00"},
			{"Australia/Lord_Howe", "2026-10-03T12:00:00+10:30", "2026-10-05T12:00:00+11:00"},
		},
		"fall": {
			{"America/New_York", "2026-10-31T12:00:00-04:00", "2026-11-02T12:00:00-05:00"},
			{"Europe/Berlin", "2026-10-24T12:00:00+02:00", "2026-10-26T12:00:00+01:00"},
			{"Australia/Lord_Howe", "2026-04-04T12:00:00+11:00", "2026-04-06T12:00:00+10:30"},
		},
	}
	for season, ws := range days {
		for _, w := range ws {
			from, _ := time.Parse(time.RFC3339, w.from)
			to, _ := time.Parse(time.RFC3339, w.to)
			t.Run(season+"/"+w.zone, func(t *testing.T) {
				t.Parallel()
				// Fixed-time daily jobs fire exactly once on each of the two days.
				for _, spec := range []string{"30 2 * * *", "30 1 * * *"} {
					got := fires(t, spec, w.zone, from, to)
					require.Len(t, got, 2, "%s in %s: %v", spec, w.zone, got)
				}
				// A wildcard job follows elapsed time: one fire every 15 real minutes.
				got := fires(t, "*/15 * * * *", w.zone, from, to)
				for i := 1; i < len(got); i++ {
					require.Equal(t, 15*time.Minute, got[i].Sub(got[i-1]), "%s: %v then %v", w.zone, got[i-1], got[i])
				}
				require.Equal(t, int(to.Sub(from)/(15*time.Minute)), len(got))
			})
		}
	}
}

func TestPlanDSTNewYorkExactInstants(t *testing.T) {
	t.Parallel()
	ny, _ := time.LoadLocation("America/New_York")
	// Spring forward: 02:30 does not exist on 2026-03-08; it runs at 03:00 EDT.
	got := fires(t, "30 2 * * *", "America/New_York", time.Date(2026, 3, 8, 0, 0, 0, 0, ny), time.Date(2026, 3, 8, 12, 0, 0, 0, ny))
	require.Equal(t, []time.Time{time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC)}, utc(got))
	// Fall back: 01:30 happens twice on 2026-11-01; it runs once, the first time (EDT).
	got = fires(t, "30 1 * * *", "America/New_York", time.Date(2026, 11, 1, 0, 0, 0, 0, ny), time.Date(2026, 11, 1, 12, 0, 0, 0, ny))
	require.Equal(t, []time.Time{time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC)}, utc(got))
	// */15 between 01:00 EDT and 02:00 EST: 8 fires.
	got = fires(t, "*/15 * * * *", "America/New_York", time.Date(2026, 11, 1, 5, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 7, 0, 0, 0, time.UTC))
	require.Len(t, got, 8)
}

func utc(ts []time.Time) []time.Time {
	out := make([]time.Time, len(ts))
	for i, t := range ts {
		out[i] = t.UTC()
	}
	return out
}

func TestPlanStartEnd(t *testing.T) {
	t.Parallel()
	start := t0.Add(10 * time.Second)
	end := t0.Add(20 * time.Second)
	bounded := boundedSchedule{schedule.Every{Interval: 5 * time.Second, Anchor: start}, start, end}
	p := newTable()
	require.True(t, p.Upsert(Entry{Job: "b", Schedule: bounded, Window: time.Minute, Remaining: -1}))
	var got []time.Time
	done := false
	for now := t0; now.Before(t0.Add(time.Minute)); now = now.Add(time.Second) {
		for _, d := range p.Due(now, 0) {
			for _, f := range d.Fire {
				got = append(got, f.At)
			}
			done = done || d.Done
		}
	}
	require.Equal(t, []time.Time{start, start.Add(5 * time.Second), end}, got)
	require.True(t, done, "the job completes after its end")
}

// boundedSchedule mirrors job.Schedule's start/end bounds without importing
// job (which compiles them the same way).
type boundedSchedule struct {
	inner      schedule.Schedule
	start, end time.Time
}

func (b boundedSchedule) Next(t time.Time) time.Time {
	if t.Before(b.start) {
		t = b.start.Add(-time.Nanosecond)
	}
	n := b.inner.Next(t)
	if n.After(b.end) {
		return time.Time{}
	}
	return n
}
