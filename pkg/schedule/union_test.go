package schedule_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/schedule"
)

func TestUnionSameInstantOnce(t *testing.T) {
	u := schedule.Union{schedule.Every{Interval: 2 * time.Second}, schedule.Every{Interval: 3 * time.Second}}
	from := time.Unix(0, 0).UTC()
	var got []int64
	for t0 := u.Next(from); t0.Unix() <= 12; t0 = u.Next(t0) {
		got = append(got, t0.Unix())
	}
	require.Equal(t, []int64{2, 3, 4, 6, 8, 9, 10, 12}, got, "6 and 12 once")
}

func TestUnionCronAndEvery(t *testing.T) {
	a, err := schedule.ParseCron("0 9 * * *", time.UTC)
	require.NoError(t, err)
	b, err := schedule.ParseCron("0 9,17 * * *", time.UTC)
	require.NoError(t, err)
	u := schedule.Union{a, b, schedule.Every{Interval: 12 * time.Hour}}
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	got := schedule.NextTimes(u, time.UTC, from, 5)
	require.Equal(t, []string{"2026-01-01T09:00:00Z", "2026-01-01T12:00:00Z", "2026-01-01T17:00:00Z", "2026-01-02T00:00:00Z", "2026-01-02T09:00:00Z"}, got)
}

// Over the spring-forward and fall-back in Berlin, two cron specs that
// share a slot keep each spec's DST rule and one slot per instant.
func TestUnionDST(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	a, err := schedule.ParseCron("30 2 * * *", berlin) // in the spring gap: runs at 03:00
	require.NoError(t, err)
	b, err := schedule.ParseCron("0 3 * * *", berlin)
	require.NoError(t, err)
	u := schedule.Union{a, b}
	got := schedule.NextTimes(u, berlin, time.Date(2026, 3, 28, 12, 0, 0, 0, berlin), 4)
	require.Equal(t, []string{
		"2026-03-29T03:00:00+02:00", // 02:30 does not exist: at the transition, same instant as 03:00
		"2026-03-30T02:30:00+02:00",
		"2026-03-30T03:00:00+02:00",
		"2026-03-31T02:30:00+02:00",
	}, got)
	// Fall back: 02:30 happens twice, runs once.
	got = schedule.NextTimes(u, berlin, time.Date(2026, 10, 24, 12, 0, 0, 0, berlin), 3)
	require.Equal(t, []string{"2026-10-25T02:30:00+02:00", "2026-10-25T03:00:00+01:00", "2026-10-26T02:30:00+01:00"}, got)
}

func TestUnionEnds(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	u := schedule.Union{schedule.Once{At: at}, schedule.Once{At: at}}
	require.Equal(t, at, u.Next(at.Add(-time.Second)))
	require.True(t, u.Next(at).IsZero())
	require.True(t, schedule.Union{}.Next(at).IsZero())
}
