package schedule_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/schedule"
)

func TestCheckFires(t *testing.T) {
	t.Parallel()

	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cron := func(spec string) schedule.Schedule {
		c, err := schedule.ParseCron(spec, time.UTC)
		require.NoError(t, err)
		return c
	}

	tests := []struct {
		name  string
		s     schedule.Schedule
		from  time.Time
		never bool
	}{
		{name: "Daily", s: cron("@daily"), from: from},
		{name: "February30", s: cron("0 0 30 2 *"), from: from, never: true},
		{name: "February31", s: cron("0 0 31 2 *"), from: from, never: true},
		{name: "April31", s: cron("0 0 31 4 *"), from: from, never: true},
		{name: "LeapDay", s: cron("0 0 29 2 *"), from: from},
		{name: "LeapDayRightAfterOne", s: cron("0 0 29 2 *"), from: time.Date(2028, 2, 29, 0, 0, 0, 0, time.UTC)},
		{name: "LeapDayAcross2100", s: cron("0 0 29 2 *"), from: time.Date(2097, 1, 1, 0, 0, 0, 0, time.UTC), never: true},
		{name: "Every", s: schedule.Every{Interval: time.Minute}, from: from},
		{name: "EveryZero", s: schedule.Every{}, from: from, never: true},
		{name: "EveryTooLong", s: schedule.Every{Anchor: from, Interval: 6 * 366 * 24 * time.Hour}, from: from, never: true},
		{name: "OnceFuture", s: schedule.Once{At: from.AddDate(1, 0, 0)}, from: from},
		{name: "OncePast", s: schedule.Once{At: from.AddDate(-1, 0, 0)}, from: from, never: true},
		{name: "OnceBeyondHorizon", s: schedule.Once{At: from.AddDate(6, 0, 0)}, from: from, never: true},
		{name: "Nil", s: nil, from: from, never: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := schedule.CheckFires(tt.s, tt.from)
			if !tt.never {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, schedule.ErrNeverFires)
		})
	}
}

func TestNextTimes(t *testing.T) {
	t.Parallel()

	from := time.Date(2026, 3, 27, 22, 0, 0, 0, time.UTC)

	t.Run("OffsetOfLoc", func(t *testing.T) {
		t.Parallel()
		paris, err := time.LoadLocation("Europe/Paris")
		require.NoError(t, err)
		c, err := schedule.ParseCron("0 12 * * *", paris)
		require.NoError(t, err)
		// Summer time starts in Paris on 29 March 2026.
		require.Equal(t, []string{"2026-03-28T12:00:00+01:00", "2026-03-29T12:00:00+02:00"},
			schedule.NextTimes(c, paris, from, 2))
	})

	t.Run("FewerWhenItStopsFiring", func(t *testing.T) {
		t.Parallel()
		once := schedule.Once{At: from.Add(time.Hour)}
		require.Equal(t, []string{"2026-03-27T23:00:00Z"}, schedule.NextTimes(once, time.UTC, from, 3))
		require.Empty(t, schedule.NextTimes(once, time.UTC, from, 0))
	})
}
