package job

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSeveralSchedules(t *testing.T) {
	s := validSpec()
	s.Schedule = Schedule{Cron: "0 9 * * *", Schedules: []ScheduleItem{{Every: Duration(12 * time.Hour)}, {Cron: "0 9,17 * * *"}}}
	require.NoError(t, s.Validate())
	require.Equal(t, "cron 0 9 * * * + every 12h + cron 0 9,17 * * *", s.Schedule.String())
	sc, err := s.Schedule.Compile()
	require.NoError(t, err)
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var got []string
	for t0, i := sc.Next(from), 0; i < 4; t0, i = sc.Next(t0), i+1 {
		got = append(got, t0.Format("15:04"))
	}
	require.Equal(t, []string{"09:00", "12:00", "17:00", "00:00"}, got, "09:00 once")

	// Items alone, bounded by start and end.
	start := time.Date(2026, 1, 1, 0, 0, 1, 0, time.UTC)
	end := start.Add(10 * time.Second)
	s.Schedule = Schedule{Schedules: []ScheduleItem{{Every: Duration(2 * time.Second)}, {Every: Duration(3 * time.Second)}}, Start: &start, End: &end}
	require.NoError(t, s.Validate())
	require.Equal(t, "every", s.Schedule.Kind())
	sc, err = s.Schedule.Compile()
	require.NoError(t, err)
	n := 0
	for t0 := sc.Next(from); !t0.IsZero(); t0 = sc.Next(t0) {
		n++
	}
	require.Equal(t, 8, n, "anchored at start: 1+{2,3,4,6,8,9,10}, and start itself")
}

func TestSeveralSchedulesRefused(t *testing.T) {
	at := time.Now().Add(time.Hour)
	for _, c := range []struct {
		field string
		sc    Schedule
	}{
		{"schedule.schedules", Schedule{At: &at, Schedules: []ScheduleItem{{Cron: "@daily"}}}},
		{"schedule.schedules[0]", Schedule{Schedules: []ScheduleItem{{}}}},
		{"schedule.schedules[1]", Schedule{Cron: "@daily", Schedules: []ScheduleItem{{Cron: "@hourly"}, {Cron: "@daily", Every: Duration(time.Hour)}}}},
		{"schedule.schedules[0].cron", Schedule{Schedules: []ScheduleItem{{Cron: "61 * * * *"}}}},
		{"schedule.schedules[0].cron", Schedule{Schedules: []ScheduleItem{{Cron: "0 0 30 2 *"}}}},
		{"schedule.schedules[0].every", Schedule{Schedules: []ScheduleItem{{Every: Duration(time.Millisecond)}}}},
		{"schedule", Schedule{}},
	} {
		s := validSpec()
		s.Schedule = c.sc
		err := s.Validate()
		require.Error(t, err, c.field)
		require.True(t, errors.Is(err, ErrInvalid))
		require.Contains(t, err.Error(), c.field+":", c.field)
	}
	s := validSpec()
	s.Schedule = Schedule{Schedules: make([]ScheduleItem, MaxSchedules+1)}
	require.ErrorContains(t, s.Validate(), "at most")
}

func TestSkipCalendarsValidated(t *testing.T) {
	s := validSpec()
	s.SkipCalendars = []string{"holidays", "maint"}
	require.NoError(t, s.Validate())
	for _, names := range [][]string{{"a b"}, {"x", "x"}, make([]string, MaxSkipCalendars+1)} {
		s.SkipCalendars = names
		err := s.Validate()
		require.Error(t, err)
		require.Contains(t, err.Error(), "skip_calendars")
	}
	s.SkipCalendars = nil
	s.Schedule = Schedule{Schedules: []ScheduleItem{{Every: Duration(2 * time.Second)}}}
	s.Jitter = Duration(3 * time.Second)
	require.ErrorContains(t, s.Validate(), "jitter")
}

func TestRetentionValidated(t *testing.T) {
	s := validSpec()
	s.Retention = &Retention{Logs: Duration(24 * time.Hour), FailedLogs: Duration(72 * time.Hour)}
	require.NoError(t, s.Validate())
	require.Equal(t, Duration(24*time.Hour), s.Retention.LogTTL(true))
	require.Equal(t, Duration(72*time.Hour), s.Retention.LogTTL(false))
	for field, r := range map[string]Retention{
		"retention.logs":        {Logs: Duration(time.Millisecond)},
		"retention.failed_logs": {Logs: Duration(time.Hour), FailedLogs: Duration(time.Minute)},
	} {
		s.Retention = &r
		require.ErrorContains(t, s.Validate(), field)
	}
	s.Retention = &Retention{FailedLogs: Duration(time.Hour)}
	require.ErrorContains(t, s.Validate(), "needs retention.logs")
	s.Retention = &Retention{Logs: Duration(time.Hour)}
	require.Equal(t, Duration(time.Hour), s.Retention.LogTTL(false), "failures default to the same")
}
