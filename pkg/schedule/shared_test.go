package schedule_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/schedule"
)

func TestParsedOncePerProcess(t *testing.T) {
	t.Parallel()
	paris, err := schedule.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	again, err := schedule.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	require.Same(t, paris, again, "a zone is loaded once")

	a, err := schedule.ParseCron("0 9 * * 1-5", paris)
	require.NoError(t, err)
	b, err := schedule.ParseCron("0 9 * * 1-5", again)
	require.NoError(t, err)
	require.Same(t, a, b, "the same spec in the same zone is parsed once")

	utc, err := schedule.ParseCron("0 9 * * 1-5", time.UTC)
	require.NoError(t, err)
	require.NotSame(t, a, utc)
	require.Equal(t, paris, a.Location())
	require.Equal(t, time.UTC, utc.Location())
	from := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	require.Equal(t, time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC), a.Next(from).UTC(), "9:00 in Paris")
	require.Equal(t, time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC), utc.Next(from).UTC())

	for range 2 { // a refusal is not remembered as a success
		_, err := schedule.ParseCron("0 25 * * *", time.UTC)
		var pe *schedule.ParseError
		require.ErrorAs(t, err, &pe)
		_, err = schedule.LoadLocation("Mars/Olympus_Mons")
		require.ErrorIs(t, err, schedule.ErrInvalidZone)
	}
}
