package schedule_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/schedule"
)

func TestPrev(t *testing.T) {
	t.Parallel()
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		require.NoError(t, err)
		return v
	}
	daily, err := schedule.ParseCron("0 2 * * *", time.UTC)
	require.NoError(t, err)
	jan1, err := schedule.ParseCron("*/5 * 1 1 *", time.UTC) // dense on one day a year
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		s    schedule.Schedule
		t    string
		want string
	}{
		{"DailyAtSlot", daily, "2026-03-10T02:00:00Z", "2026-03-09T02:00:00Z"},
		{"DailyBetween", daily, "2026-03-10T13:17:00Z", "2026-03-10T02:00:00Z"},
		{"Every", schedule.Every{Interval: 5 * time.Minute}, "2026-03-10T13:17:00Z", "2026-03-10T13:15:00Z"},
		{"EveryAtSlot", schedule.Every{Interval: 5 * time.Minute}, "2026-03-10T13:15:00Z", "2026-03-10T13:10:00Z"},
		{"DenseDayLongAgo", jan1, "2026-06-01T00:00:00Z", "2026-01-01T23:55:00Z"},
		{"OnceBefore", schedule.Once{At: at("2026-01-01T00:00:00Z")}, "2026-01-01T00:00:00Z", ""},
		{"OnceAfter", schedule.Once{At: at("2026-01-01T00:00:00Z")}, "2026-02-01T00:00:00Z", "2026-01-01T00:00:00Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := schedule.Prev(tc.s, at(tc.t))
			if tc.want == "" {
				require.True(t, got.IsZero(), "got %s", got)
				return
			}
			require.Equal(t, at(tc.want), got.UTC())
		})
	}
}
