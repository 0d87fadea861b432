package schedule_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/schedule"
)

func TestCronNext(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name string
		spec string
		zone string
		from string
		want []string // consecutive fire instants after from
	}{
		{
			name: "EveryTwentySeconds", spec: "*/20 * * * * *", zone: "UTC", from: "2026-01-01T00:00:00Z",
			want: []string{"2026-01-01T00:00:20Z", "2026-01-01T00:00:40Z", "2026-01-01T00:01:00Z"},
		},
		{
			name: "StrictlyAfterMatchingSecond", spec: "30 * * * * *", zone: "UTC", from: "2026-01-01T00:00:30Z",
			want: []string{"2026-01-01T00:01:30Z", "2026-01-01T00:02:30Z"},
		},
		{
			name: "SubSecondFrom", spec: "* * * * * *", zone: "UTC", from: "2026-01-01T00:00:00.5Z",
			want: []string{"2026-01-01T00:00:01Z", "2026-01-01T00:00:02Z"},
		},
		{
			name: "SecondsListAcrossMinute", spec: "10,50 59 23 * * *", zone: "UTC", from: "2026-01-01T23:59:20Z",
			want: []string{"2026-01-01T23:59:50Z", "2026-01-02T23:59:10Z"},
		},
		{
			name: "Yearly", spec: "@yearly", zone: "UTC", from: "2026-06-01T00:00:00Z",
			want: []string{"2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z"},
		},
		{
			name: "Monthly", spec: "@monthly", zone: "UTC", from: "2026-01-31T12:00:00Z",
			want: []string{"2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"},
		},
		{
			name: "Weekly", spec: "@weekly", zone: "UTC", from: "2026-01-01T00:00:00Z",
			want: []string{"2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"},
		},
		{
			name: "Daily", spec: "@daily", zone: "UTC", from: "2026-01-01T00:00:00Z",
			want: []string{"2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"},
		},
		{
			name: "Hourly", spec: "@hourly", zone: "UTC", from: "2026-01-01T00:30:00Z",
			want: []string{"2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z"},
		},
		{
			name: "MonthAndWeekdayNames", spec: "0 0 * FEB MON", zone: "UTC", from: "2026-01-01T00:00:00Z",
			want: []string{"2026-02-02T00:00:00Z", "2026-02-09T00:00:00Z", "2026-02-16T00:00:00Z", "2026-02-23T00:00:00Z", "2027-02-01T00:00:00Z"},
		},
		{
			name: "DayOfMonthOrDayOfWeek", spec: "0 0 13 * MON", zone: "UTC", from: "2026-02-01T00:00:00Z",
			want: []string{
				"2026-02-02T00:00:00Z", "2026-02-09T00:00:00Z", "2026-02-13T00:00:00Z", "2026-02-16T00:00:00Z",
				"2026-02-23T00:00:00Z", "2026-03-02T00:00:00Z", "2026-03-09T00:00:00Z", "2026-03-13T00:00:00Z",
			},
		},
		{
			name: "DayOfMonthOrDayOfWeekOverlap", spec: "0 0 13 * FRI", zone: "UTC", from: "2026-02-01T00:00:00Z",
			want: []string{"2026-02-06T00:00:00Z", "2026-02-13T00:00:00Z", "2026-02-20T00:00:00Z", "2026-02-27T00:00:00Z", "2026-03-06T00:00:00Z"},
		},
		{
			name: "QuestionMarkMeansOnlyDayOfMonth", spec: "0 0 13 * ?", zone: "UTC", from: "2026-02-01T00:00:00Z",
			want: []string{"2026-02-13T00:00:00Z", "2026-03-13T00:00:00Z"},
		},
		{
			name: "StarDayOfMonthMeansOnlyDayOfWeek", spec: "0 0 * * FRI", zone: "UTC", from: "2026-02-01T00:00:00Z",
			want: []string{"2026-02-06T00:00:00Z", "2026-02-13T00:00:00Z"},
		},
		{
			name: "LeapDay", spec: "0 0 29 2 *", zone: "UTC", from: "2026-01-01T00:00:00Z",
			want: []string{"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"},
		},
		{
			name: "EndOfMonthSkipsShortMonths", spec: "0 0 31 * *", zone: "UTC", from: "2026-01-31T00:00:00Z",
			want: []string{"2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z", "2026-07-31T00:00:00Z", "2026-08-31T00:00:00Z"},
		},
		{
			name: "LastMinuteOfYear", spec: "59 23 31 12 *", zone: "UTC", from: "2026-12-31T23:59:00Z",
			want: []string{"2027-12-31T23:59:00Z"},
		},
		{
			name: "NewYear", spec: "0 0 1 1 *", zone: "UTC", from: "2026-12-31T23:59:59Z",
			want: []string{"2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z"},
		},
		{
			name: "EveryMinuteAcrossYear", spec: "* * * * *", zone: "UTC", from: "2026-12-31T23:59:30Z",
			want: []string{"2027-01-01T00:00:00Z", "2027-01-01T00:01:00Z"},
		},
		{
			name: "TokyoStrictlyAfter", spec: "0 9 * * *", zone: "Asia/Tokyo", from: "2026-01-01T00:00:00Z",
			want: []string{"2026-01-02T09:00:00+09:00", "2026-01-03T09:00:00+09:00"},
		},
		{
			name: "TokyoNewYearBeforeUTC", spec: "0 0 1 1 *", zone: "Asia/Tokyo", from: "2026-12-31T14:59:59Z",
			want: []string{"2027-01-01T00:00:00+09:00"},
		},
		{
			name: "NewYorkWeekdays", spec: "0 9 * * 1-5", zone: "America/New_York", from: "2026-01-02T14:00:00Z",
			want: []string{"2026-01-05T09:00:00-05:00", "2026-01-06T09:00:00-05:00"},
		},
		{
			name: "NewYorkSummer", spec: "0 9 1 7 *", zone: "America/New_York", from: "2026-01-01T00:00:00Z",
			want: []string{"2026-07-01T09:00:00-04:00", "2027-07-01T09:00:00-04:00"},
		},
		{
			name: "February30NeverFires", spec: "0 0 30 2 *", zone: "UTC", from: "2026-01-01T00:00:00Z",
			want: nil,
		},
		{
			name: "LeapDayBeyondHorizon", spec: "0 0 29 2 *", zone: "UTC", from: "2097-03-01T00:00:00Z",
			want: nil, // next is 2104-02-29, more than 5 years away
		},
		{
			name: "ZeroTimeFrom", spec: "0 0 1 1 *", zone: "UTC", from: "0001-01-01T00:00:00Z",
			want: []string{"0002-01-01T00:00:00Z"},
		},
		{
			name: "FarFutureFrom", spec: "0 0 1 1 *", zone: "Europe/Berlin", from: "9000-06-01T00:00:00Z",
			want: []string{"9001-01-01T00:00:00+01:00"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := parse(t, tt.spec, tt.zone)
			require.Equal(t, tt.want, firesN(c, rfc(t, tt.from), max(len(tt.want), 1)))
		})
	}
}

// TestCronNextBounded checks that Next stays fast for specs that fire
// rarely or never, in zones with many transitions and far from today. The
// contract is 10 ms; the test allows 50 ms for -race and busy machines.
func TestCronNextBounded(t *testing.T) {
	t.Parallel()

	specs := []struct {
		spec  string
		never bool
	}{
		{spec: "0 0 30 2 *", never: true},
		{spec: "0 0 31 2,4,6,9,11 *", never: true},
		{spec: "59 59 23 31 2 ?", never: true},
		{spec: "0 0 29 2 *"},
		{spec: "59 59 23 31 12 *"},
		{spec: "0 0 29 2 MON"},
	}
	zones := []string{"UTC", "America/Santiago", "Africa/Casablanca", "Australia/Lord_Howe", "Pacific/Chatham"}
	years := []int{1, 1900, 2026, 2100, 5000, 9980}
	for _, sp := range specs {
		for _, zone := range zones {
			c := parse(t, sp.spec, zone)
			for _, y := range years {
				from := time.Date(y, 3, 1, 0, 0, 0, 0, time.UTC)
				start := time.Now()
				next := c.Next(from)
				require.Less(t, time.Since(start), nextBudget, "%s in %s from year %d", sp.spec, zone, y)
				if sp.never {
					require.True(t, next.IsZero(), "%s in %s from year %d: %s", sp.spec, zone, y, next)
				} else {
					require.True(t, next.After(from), "%s in %s from year %d: %s", sp.spec, zone, y, next)
				}
			}
		}
	}
}

func TestCronNextOutOfRange(t *testing.T) {
	t.Parallel()

	c := parse(t, "* * * * * *", "Europe/Berlin")
	require.True(t, c.Next(time.Date(0, 12, 31, 0, 0, 0, 0, time.UTC)).IsZero())
	require.True(t, c.Next(time.Date(9990, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero())
	require.False(t, c.Next(time.Date(9989, 12, 31, 23, 59, 58, 0, time.UTC)).IsZero())
}

func TestCronZeroValueNeverFires(t *testing.T) {
	t.Parallel()

	var c schedule.Cron
	require.True(t, c.Next(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero())
	require.Empty(t, c.Describe())
}
