package calendar_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/calendar"
)

const sampleICS = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" +
	"BEGIN:VEVENT\r\nUID:1\r\nSUMMARY:Heiligabend\r\nDTSTART;VALUE=DATE:20261224\r\nDTEND;VALUE=DATE:20261227\r\nEND:VEVENT\r\n" +
	"BEGIN:VEVENT\r\nUID:2\r\nSUMMARY:Tag der Arbeit\r\nDTSTART;VALUE=DATE:20260501\r\nRRULE:FREQ=YEARLY\r\nEND:VEVENT\r\n" +
	"BEGIN:VEVENT\r\nUID:3\r\nSUMMARY:DB upgrade\\, phase 1\r\nDTSTART;TZID=Europe/Berlin:20261205T220000\r\nDTEND;TZID=Europe/Berlin:20261206T020000\r\nEND:VEVENT\r\n" +
	"BEGIN:VEVENT\r\nUID:4\r\nSUMMARY:a very long\r\n  folded summary\r\nDTSTART:20261210T100000Z\r\nDTEND:20261210T110000Z\r\nEND:VEVENT\r\n" +
	"BEGIN:VEVENT\r\nUID:5\r\nDTSTART:20260701T100000\r\nDTEND:20260701T103000\r\nRRULE:FREQ=YEARLY;BYMONTH=7\r\nEND:VEVENT\r\n" +
	"END:VCALENDAR\r\n"

func TestParseICS(t *testing.T) {
	loc := berlin(t)
	dates, annual, windows, err := calendar.ParseICS([]byte(sampleICS), loc)
	require.NoError(t, err)
	require.Equal(t, []string{"2026-12-24", "2026-12-25", "2026-12-26"}, dates, "DTEND excluded")
	require.Equal(t, []string{"05-01"}, annual)
	require.Len(t, windows, 3)
	require.Equal(t, time.Date(2026, 12, 5, 21, 0, 0, 0, time.UTC), windows[0].Start)
	require.Equal(t, time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC), windows[0].End)
	require.Equal(t, "DB upgrade, phase 1", windows[0].Summary)
	require.Equal(t, "a very long folded summary", windows[1].Summary)
	require.Equal(t, time.Date(2026, 7, 1, 8, 0, 0, 0, time.UTC), windows[2].Start, "floating time in the calendar's zone")
	require.True(t, windows[2].Yearly)

	m := compile(t, calendar.Calendar{Name: "ics", TZ: "Europe/Berlin", Dates: dates, Annual: annual, Windows: windows})
	_, ok := m.Excludes(time.Date(2031, 7, 1, 10, 15, 0, 0, loc))
	require.True(t, ok, "yearly window")
	_, ok = m.Excludes(time.Date(2026, 12, 27, 9, 0, 0, 0, loc))
	require.False(t, ok)
}

func TestParseICSRefuses(t *testing.T) {
	wrap := func(ev string) string {
		return "BEGIN:VCALENDAR\nBEGIN:VEVENT\n" + ev + "\nEND:VEVENT\nEND:VCALENDAR\n"
	}
	for name, in := range map[string]string{
		"no calendar":   "BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260101\nEND:VEVENT\n",
		"no event":      "BEGIN:VCALENDAR\nEND:VCALENDAR\n",
		"unended":       "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260101\n",
		"nested":        "BEGIN:VCALENDAR\nBEGIN:VEVENT\nBEGIN:VEVENT\nEND:VEVENT\nEND:VCALENDAR\n",
		"no dtstart":    wrap("SUMMARY:x"),
		"bad date":      wrap("DTSTART;VALUE=DATE:20261340"),
		"no dtend":      wrap("DTSTART:20260101T100000Z"),
		"end before":    wrap("DTSTART:20260101T100000Z\nDTEND:20260101T090000Z"),
		"weekly":        wrap("DTSTART;VALUE=DATE:20260101\nRRULE:FREQ=WEEKLY"),
		"bad tzid":      wrap("DTSTART;TZID=Mars/Base:20260101T100000\nDTEND:20260101T110000Z"),
		"too many days": wrap("DTSTART;VALUE=DATE:20260101\nDTEND;VALUE=DATE:20280101"),
		"mixed":         wrap("DTSTART;VALUE=DATE:20260101\nDTEND:20260102T100000Z"),
	} {
		_, _, _, err := calendar.ParseICS([]byte(in), time.UTC)
		require.Error(t, err, name)
		require.True(t, errors.Is(err, calendar.ErrICS), name)
	}
	_, _, _, err := calendar.ParseICS([]byte(strings.Repeat("x", calendar.MaxICSBytes+1)), time.UTC)
	require.ErrorIs(t, err, calendar.ErrICS)
}

// FuzzParseICS: hostile input never panics, and what it accepts makes a
// valid calendar.
func FuzzParseICS(f *testing.F) {
	f.Add([]byte(sampleICS))
	f.Add([]byte("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260101\nEND:VEVENT\nEND:VCALENDAR"))
	f.Add([]byte("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;TZID=\"a:b\":20260101T000000\nDTEND:20260101T010000Z\nEND:VEVENT\nEND:VCALENDAR"))
	f.Add([]byte(" \n\t\n:\n;;:\nBEGIN:VCALENDAR\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dates, annual, windows, err := calendar.ParseICS(data, time.UTC)
		if err != nil {
			return
		}
		c := calendar.Calendar{Name: "f", Dates: dates, Annual: annual, Windows: windows}
		if len(dates) > calendar.MaxDates || len(annual) > calendar.MaxAnnual || len(windows) > calendar.MaxWindows {
			return // too big for one calendar: Validate says so
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("accepted ICS gives an invalid calendar: %v", err)
		}
		m, err := c.Compile()
		if err != nil {
			t.Fatal(err)
		}
		m.Excludes(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	})
}
