package calendar_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/calendar"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/schedule"
)

func berlin(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	return loc
}

func compile(t *testing.T, c calendar.Calendar) *calendar.Matcher {
	t.Helper()
	c, err := c.Normalize()
	require.NoError(t, err)
	m, err := c.Compile()
	require.NoError(t, err)
	return m
}

func TestDatesAreDaysInTheZone(t *testing.T) {
	loc := berlin(t)
	m := compile(t, calendar.Calendar{Name: "h", TZ: "Europe/Berlin", Dates: []string{"2026-12-24"}})
	for at, want := range map[time.Time]bool{
		time.Date(2026, 12, 24, 0, 0, 0, 0, loc):         true,
		time.Date(2026, 12, 24, 23, 59, 59, 0, loc):      true,
		time.Date(2026, 12, 23, 23, 30, 0, 0, time.UTC):  true, // 00:30 in Berlin
		time.Date(2026, 12, 24, 23, 30, 0, 0, time.UTC):  false,
		time.Date(2026, 12, 23, 22, 59, 59, 0, time.UTC): false,
		time.Date(2027, 12, 24, 12, 0, 0, 0, loc):        false,
	} {
		_, got := m.Excludes(at)
		require.Equal(t, want, got, "%s", at)
	}
}

func TestWindowsAndAnnual(t *testing.T) {
	loc := berlin(t)
	w, err := calendar.ParseWindow("2026-12-05 22:00/2026-12-06 02:00", loc)
	require.NoError(t, err)
	long, err := calendar.ParseWindow("2026-01-01T00:00:00Z/2026-02-01T00:00:00Z", loc)
	require.NoError(t, err)
	m := compile(t, calendar.Calendar{Name: "m", TZ: "Europe/Berlin", Annual: []string{"05-01"}, Windows: []calendar.Window{w, long,
		{Start: time.Date(2020, 7, 1, 10, 0, 0, 0, loc), End: time.Date(2020, 7, 1, 11, 0, 0, 0, loc), Yearly: true}}})
	cases := map[time.Time]bool{
		time.Date(2026, 12, 5, 21, 59, 59, 0, loc): false,
		time.Date(2026, 12, 5, 22, 0, 0, 0, loc):   true,
		time.Date(2026, 12, 6, 1, 59, 59, 0, loc):  true,
		time.Date(2026, 12, 6, 2, 0, 0, 0, loc):    false, // end excluded
		time.Date(2026, 1, 15, 0, 0, 0, 0, loc):    true,
		time.Date(2026, 2, 1, 1, 0, 0, 0, loc):     false,
		time.Date(2030, 5, 1, 8, 0, 0, 0, loc):     true,
		time.Date(2030, 7, 1, 10, 30, 0, 0, loc):   true,
		time.Date(2030, 7, 1, 11, 0, 0, 0, loc):    false,
		time.Date(2019, 7, 1, 10, 30, 0, 0, loc):   false, // before the first year
	}
	for at, want := range cases {
		why, got := m.Excludes(at)
		require.Equal(t, want, got, "%s: %s", at, why)
	}
	set := calendar.Set{"m": m}
	why, ok := set.Skip([]string{"other", "m"}, time.Date(2026, 12, 5, 23, 0, 0, 0, loc))
	require.True(t, ok)
	require.Equal(t, "calendar m excludes window 2026-12-05T22:00:00+01:00/2026-12-06T02:00:00+01:00", why)
}

func TestValidateNamesTheField(t *testing.T) {
	for field, c := range map[string]calendar.Calendar{
		"name":       {Name: "a b", Dates: []string{"2026-01-01"}},
		"dates":      {Name: "a", Dates: []string{"2026-02-30"}},
		"annual":     {Name: "a", Annual: []string{"13-01"}},
		"tz":         {Name: "a", TZ: "Nowhere/Land", Dates: []string{"2026-01-01"}},
		"windows[0]": {Name: "a", Windows: []calendar.Window{{Start: time.Now()}}},
	} {
		err := c.Validate()
		require.Error(t, err, field)
		require.True(t, errors.Is(err, job.ErrInvalid))
		require.Contains(t, err.Error(), field)
	}
	require.ErrorContains(t, (&calendar.Calendar{Name: "a"}).Validate(), "excludes nothing")
}

func TestNextShowsSkippedSlots(t *testing.T) {
	loc := berlin(t)
	m := compile(t, calendar.Calendar{Name: "h", TZ: "Europe/Berlin", Dates: []string{"2026-12-24", "2026-12-25"}})
	sc, err := schedule.ParseCron("0 9 * * *", loc)
	require.NoError(t, err)
	slots := calendar.Next(sc, loc, time.Date(2026, 12, 23, 12, 0, 0, 0, loc), 2, calendar.Set{"h": m}, []string{"h"})
	require.Equal(t, []calendar.Slot{
		{At: "2026-12-24T09:00:00+01:00", Skipped: "calendar h excludes 2026-12-24"},
		{At: "2026-12-25T09:00:00+01:00", Skipped: "calendar h excludes 2026-12-25"},
		{At: "2026-12-26T09:00:00+01:00"},
		{At: "2026-12-27T09:00:00+01:00"},
	}, slots)
	require.Equal(t, []string{"2026-12-26T09:00:00+01:00", "2026-12-27T09:00:00+01:00"}, calendar.Runs(slots))
	// A calendar excluding every slot ends the search without hanging.
	all := compile(t, calendar.Calendar{Name: "all", Windows: []calendar.Window{{Start: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)}}})
	every := schedule.Every{Interval: time.Second}
	slots = calendar.Next(every, time.UTC, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 5, calendar.Set{"all": all}, []string{"all"})
	require.Empty(t, calendar.Runs(slots))
	require.LessOrEqual(t, len(slots), 20)
	require.True(t, strings.HasPrefix(slots[0].Skipped, "calendar all"))
}
