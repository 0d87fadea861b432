package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/calendar"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/web"
)

func TestCalendarsAPI(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	ics := "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261224\nDTEND;VALUE=DATE:20261226\nEND:VEVENT\nEND:VCALENDAR\n"
	r := s.call(http.MethodPost, "/api/v1/calendars", map[string]any{"name": "holidays", "tz": "Europe/Berlin", "dates": []string{"2026-12-31"}, "ics": ics})
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	require.Equal(t, "/api/v1/calendars/holidays", r.header.Get("Location"))
	var created api.CalendarCreateResponse
	r.json(t, &created)
	require.Equal(t, []string{"2026-12-24", "2026-12-25", "2026-12-31"}, created.Calendar.Dates)

	// A job naming it: its next fire times leave the calendar's days out.
	start := time.Date(2026, 12, 23, 0, 0, 0, 0, time.UTC)
	spec := job.Spec{Name: "daily", Schedule: job.Schedule{Cron: "0 9 * * *", TZ: "Europe/Berlin", Start: &start}, Task: command("true"), SkipCalendars: []string{"holidays"}}
	s.createJob(spec)
	r = s.call(http.MethodGet, "/api/v1/jobs/daily", nil)
	var j web.Job
	r.json(t, &j)
	for _, n := range j.Next {
		require.False(t, strings.HasPrefix(n, "2026-12-24") || strings.HasPrefix(n, "2026-12-25") || strings.HasPrefix(n, "2026-12-31"), n)
	}
	require.Equal(t, []string{"holidays"}, j.SkipCalendars)

	r = s.call(http.MethodGet, "/api/v1/calendars", nil)
	var list []api.CalendarView
	r.json(t, &list)
	require.Len(t, list, 1)
	require.Equal(t, []string{"daily"}, list[0].UsedBy)

	r = s.call(http.MethodDelete, "/api/v1/calendars/holidays", nil)
	require.Equal(t, http.StatusConflict, r.status, string(r.body))
	require.Contains(t, r.apiError(t).Message, "daily")

	for name, body := range map[string]any{
		"ics":   map[string]any{"name": "x", "ics": "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:99\nEND:VEVENT\nEND:VCALENDAR"},
		"dates": calendar.Calendar{Name: "x", Dates: []string{"24.12.2026"}},
		"name":  calendar.Calendar{Name: "x y", Dates: []string{"2026-12-24"}},
	} {
		r := s.call(http.MethodPost, "/api/v1/calendars", body)
		require.Equal(t, http.StatusUnprocessableEntity, r.status, "%s: %s", name, r.body)
		require.Contains(t, r.apiError(t).Field, name)
	}
	r = s.call(http.MethodPost, "/api/v1/jobs", job.Spec{Name: "nope", Schedule: every(time.Hour), Task: command("true"), SkipCalendars: []string{"missing"}})
	require.Equal(t, http.StatusUnprocessableEntity, r.status)
	require.Equal(t, "skip_calendars", r.apiError(t).Field)

	r = s.call(http.MethodPut, "/api/v1/calendars/holidays", calendar.Calendar{Dates: []string{"2026-12-24"}, TZ: "Europe/Berlin"})
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	r = s.call(http.MethodGet, "/calendars", nil)
	require.Equal(t, http.StatusOK, r.status)
}
