package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/ledger"
	"github.com/jetcron/jetcron/pkg/natstest"
)

// TestCalendarWindowSkipsSlots: a job every second names a calendar whose
// maintenance window covers three of its coming slots: exactly those three
// are skipped, with the calendar in the reason, in the history and in the
// ledger; the others run. A window added to the calendar afterwards (the
// leader learns it live) skips its slots too.
func TestCalendarWindowSkipsSlots(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	from := time.Now().Truncate(time.Second).Add(7 * time.Second) // room for a slow machine to create the job first
	to := from.Add(3 * time.Second)                               // slots from, from+1s, from+2s
	window := func(a, b time.Time) string { return a.UTC().Format(time.RFC3339) + "/" + b.UTC().Format(time.RFC3339) }
	s.ok("calendar", "create", "pause", "--window", window(from, to))
	s.ok("job", "create", "ticker", "--every", "1s", "--skip-calendar", "pause", "--", "true")

	var v api.JobView
	require.NoError(t, json.Unmarshal([]byte(s.ok("job", "get", "ticker", "-o", "json")), &v))
	for _, n := range v.Next {
		at, err := time.Parse(time.RFC3339, n)
		require.NoError(t, err)
		require.False(t, !at.Before(from) && at.Before(to), "next %s is in the window", n)
	}
	for _, sk := range v.NextSkipped { // the window's slots, if they are among the next ones
		at, err := time.Parse(time.RFC3339, sk.At)
		require.NoError(t, err)
		require.True(t, !at.Before(from) && at.Before(to), "skipped %s is outside the window", sk.At)
	}

	natstest.Eventually(t, 30*time.Second, func() bool {
		n := 0
		for _, x := range s.executions("ticker") {
			if x.State == job.StateSucceeded && x.ScheduledAt.After(to) {
				n++
			}
		}
		return n >= 2
	}, "two runs after the window")

	audit := func(since time.Time) ledger.Ledger {
		var l ledger.Ledger
		require.NoError(t, json.Unmarshal([]byte(s.ok("job", "audit", "ticker", "--since", since.UTC().Format(time.RFC3339), "-o", "json")), &l))
		return l
	}
	l := audit(from.Add(-2 * time.Second))
	require.Zero(t, l.Fired[ledger.FiredUnaccounted], "%+v", l.Rows)
	skipped := 0
	for _, r := range l.Rows {
		inWindow := !r.Slot.Before(from) && r.Slot.Before(to)
		if inWindow {
			skipped++
			require.Equal(t, ledger.FiredSkipped, r.Fired, "slot %s: %+v", r.Slot, r)
			require.Contains(t, r.Reason, "calendar pause")
			continue
		}
		require.NotEqual(t, ledger.FiredSkipped, r.Fired, "slot %s outside the window: %+v", r.Slot, r)
	}
	require.Equal(t, 3, skipped, "%+v", l.Rows)
	for _, x := range s.executions("ticker") {
		inWindow := !x.ScheduledAt.Before(from) && x.ScheduledAt.Before(to)
		require.Equal(t, inWindow, x.State == job.StateSkipped, "execution %s: %s %s", x.ID, x.State, x.Error)
	}
	t.Logf("job audit ticker:\n%s", s.ok("job", "audit", "ticker", "--since", from.Add(-2*time.Second).UTC().Format(time.RFC3339)))

	// A change of the calendar applies without touching the job.
	from2 := time.Now().Truncate(time.Second).Add(5 * time.Second)
	to2 := from2.Add(2 * time.Second)
	s.ok("calendar", "create", "pause", "--update", "--window", window(from, to), "--window", window(from2, to2))
	natstest.Eventually(t, 30*time.Second, func() bool {
		for _, x := range s.executions("ticker") {
			if x.State == job.StateSucceeded && x.ScheduledAt.After(to2) {
				return true
			}
		}
		return false
	}, "a run after the second window")
	l = audit(from2)
	n := 0
	for _, r := range l.Rows {
		if !r.Slot.Before(from2) && r.Slot.Before(to2) {
			require.Equal(t, ledger.FiredSkipped, r.Fired, "slot %s: %+v", r.Slot, r)
			n++
		}
	}
	require.Equal(t, 2, n, "%+v", l.Rows)
}

// TestCalendarBadInput: an unknown calendar, a calendar still named by a
// job, bad dates, windows and ICS files are refused with the field named,
// and change nothing.
func TestCalendarBadInput(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	r := s.cli("job", "create", "j", "--every", "1m", "--skip-calendar", "nope", "--", "true")
	require.NotZero(t, r.code)
	require.Contains(t, r.err, "skip_calendars")
	require.Contains(t, r.err, `"nope"`)
	require.NotZero(t, s.cli("job", "get", "j").code, "nothing created")

	for _, args := range [][]string{
		{"calendar", "create", "c", "--dates", "2026-13-01"},
		{"calendar", "create", "c", "--window", "2026-12-05 22:00/2026-12-05 21:00"},
		{"calendar", "create", "c", "--window", "tomorrow"},
		{"calendar", "create", "c"},
		{"calendar", "create", "c", "--dates", "2026-12-24", "--tz", "Mars/Olympus"},
		{"calendar", "create", "bad name", "--dates", "2026-12-24"},
	} {
		r := s.cli(args...)
		require.NotZero(t, r.code, "%v", args)
		require.Regexp(t, `dates|windows|tz|name`, r.err, "%v", args)
	}
	ics := filepath.Join(t.TempDir(), "bad.ics")
	require.NoError(t, os.WriteFile(ics, []byte("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:2026\nEND:VEVENT\nEND:VCALENDAR\n"), 0o600))
	r = s.cli("calendar", "create", "c", "--ics", ics)
	require.NotZero(t, r.code)
	require.Contains(t, r.err, "DTSTART")
	require.Equal(t, "[]", strings.TrimSpace(s.ok("calendar", "list", "-o", "json")), "nothing created")

	s.ok("calendar", "create", "holidays", "--dates", "2026-12-24,2026-12-25", "--tz", "Europe/Berlin")
	s.ok("job", "create", "j", "--cron", "0 9 * * *", "--skip-calendar", "holidays", "--", "true")
	r = s.cli("calendar", "delete", "holidays")
	require.NotZero(t, r.code)
	require.Contains(t, r.err, "j")
	s.ok("calendar", "get", "holidays")
	r = s.cli("calendar", "create", "holidays", "--dates", "2026-12-31")
	require.NotZero(t, r.code, "exists without --update")
	s.ok("job", "create", "j", "--update", "--cron", "0 9 * * *", "--", "true")
	s.ok("calendar", "delete", "holidays")

	// job get shows the slots a calendar skips among the next ones.
	tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format("2006-01-02")
	s.ok("calendar", "create", "closed", "--dates", tomorrow)
	s.ok("job", "create", "daily", "--cron", "0 9 * * *", "--skip-calendar", "closed", "--", "true")
	var v api.JobView
	require.NoError(t, json.Unmarshal([]byte(s.ok("job", "get", "daily", "-o", "json")), &v))
	require.Len(t, v.Next, 5)
	require.Len(t, v.NextSkipped, 1, "%+v", v)
	require.Equal(t, tomorrow+"T09:00:00Z", v.NextSkipped[0].At)
	require.Equal(t, "calendar closed excludes "+tomorrow, v.NextSkipped[0].Skipped)
	require.Contains(t, s.ok("job", "get", "daily"), "skipped")
	require.NotZero(t, s.cli("calendar", "get", "holidays").code)
}

// TestSeveralSchedules: a job every 2s and every 3s fires on both, one
// slot per instant (the multiples of 6s run once, under one execution ID).
func TestSeveralSchedules(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	s.ok("job", "create", "both", "--every", "2s", "--every", "3s", "--", "true")
	var six time.Time
	natstest.Eventually(t, 30*time.Second, func() bool {
		for _, x := range s.executions("both") {
			if x.ScheduledAt.Unix()%6 == 0 && x.State == job.StateSucceeded {
				six = x.ScheduledAt
				return true
			}
		}
		return false
	}, "a slot at a multiple of 6s runs")
	ids := map[string]bool{}
	for _, x := range s.executions("both") {
		require.False(t, ids[x.ID], "execution %s twice", x.ID)
		ids[x.ID] = true
		sec := x.ScheduledAt.Unix()
		require.True(t, sec%2 == 0 || sec%3 == 0, "slot %s is on neither spec", x.ScheduledAt)
	}
	require.True(t, ids[job.ExecutionID("both", six)])
	var l ledger.Ledger
	require.NoError(t, json.Unmarshal([]byte(s.ok("job", "audit", "both", "--since", "1m", "-o", "json")), &l))
	require.Zero(t, l.Fired[ledger.FiredUnaccounted], "%+v", l.Rows)
}

// TestApplyCalendars: a file with a calendar and a job naming it applies in
// one go (the calendar first), a second time unchanged; a bad calendar in a
// file applies nothing.
func TestApplyCalendars(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	dir := t.TempDir()
	file := filepath.Join(dir, "ops.yaml")
	require.NoError(t, os.WriteFile(file, []byte(`kind: Calendar
name: maint
tz: Europe/Berlin
windows:
  - {start: "2030-12-05T22:00:00+01:00", end: "2030-12-06T02:00:00+01:00"}
---
kind: Job
name: backup
schedule:
  tz: Europe/Berlin
  schedules: [{cron: "0 2 * * *"}, {cron: "0 14 * * 6"}]
skip_calendars: [maint]
task: {kind: command, command: ["true"]}
`), 0o600))
	out := s.ok("apply", "-f", file)
	require.Equal(t, "calendar maint created\njob backup created\n", out)
	require.Equal(t, "calendar maint unchanged\njob backup unchanged\n", s.ok("apply", "-f", file))
	var v api.CalendarView
	require.NoError(t, json.Unmarshal([]byte(s.ok("calendar", "get", "maint", "-o", "json")), &v))
	require.Equal(t, []string{"backup"}, v.UsedBy)

	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("calendars:\n  - {name: c2, dates: [2030-02-30]}\n---\nname: j2\nschedule: {every: 1m}\nskip_calendars: [c2]\ntask: {kind: command, command: [\"true\"]}\n"), 0o600))
	r := s.cli("apply", "-f", bad)
	require.NotZero(t, r.code)
	require.Contains(t, r.err, "dates")
	require.NotZero(t, s.cli("calendar", "get", "c2").code)
	require.NotZero(t, s.cli("job", "get", "j2").code)
}
