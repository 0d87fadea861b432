package schedule_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/schedule"
)

func TestParseCronValid(t *testing.T) {
	t.Parallel()

	// 2026-01-01 is a Thursday.
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

	tests := []struct {
		name  string
		spec  string
		str   string // String(); defaults to spec
		fixed bool
		next  string // first fire after t0, in UTC
	}{
		{name: "FiveFieldsAllStars", spec: "* * * * *", next: "2026-01-01T00:01:00Z"},
		{name: "SixFieldsAllStars", spec: "* * * * * *", next: "2026-01-01T00:00:01Z"},
		{name: "FixedDaily", spec: "30 2 * * *", fixed: true, next: "2026-01-01T02:30:00Z"},
		{name: "TrimmedAndTabs", spec: " \t0\t0  * * *\n", str: "0\t0  * * *", fixed: true, next: "2026-01-02T00:00:00Z"},
		{name: "SixFieldsWithSeconds", spec: "15 30 2 * * *", fixed: true, next: "2026-01-01T02:30:15Z"},
		{name: "WeekdayRange", spec: "0 9 * * 1-5", fixed: true, next: "2026-01-01T09:00:00Z"},
		{name: "WeekdayNames", spec: "0 9 * * MON-FRI", fixed: true, next: "2026-01-01T09:00:00Z"},
		{name: "LowerCaseWeekdayName", spec: "0 9 * * mon", fixed: true, next: "2026-01-05T09:00:00Z"},
		{name: "SundayIsZero", spec: "0 0 * * 0", fixed: true, next: "2026-01-04T00:00:00Z"},
		{name: "MonthName", spec: "0 0 1 JAN *", fixed: true, next: "2027-01-01T00:00:00Z"},
		{name: "MonthNameList", spec: "0 12 * JUN,DEC *", fixed: true, next: "2026-06-01T12:00:00Z"},
		{name: "MonthNameRange", spec: "0 12 1 Mar-May *", fixed: true, next: "2026-03-01T12:00:00Z"},
		{name: "StepFromStar", spec: "*/15 * * * *", next: "2026-01-01T00:15:00Z"},
		{name: "StepOverRange", spec: "5-10/2 * * * *", next: "2026-01-01T00:05:00Z"},
		{name: "StepFromValue", spec: "30/10 * * * *", next: "2026-01-01T00:30:00Z"},
		{name: "StepAsLargeAsRange", spec: "*/60 * * * *", next: "2026-01-01T01:00:00Z"},
		{name: "List", spec: "0,30 * * * *", next: "2026-01-01T00:30:00Z"},
		{name: "ListOfRanges", spec: "0 1-2,22-23 * * *", fixed: true, next: "2026-01-01T01:00:00Z"},
		{name: "FixedMinuteListAndHourStep", spec: "0,30 9-17/2 * * *", fixed: true, next: "2026-01-01T09:00:00Z"},
		{name: "QuestionMarkDayOfMonth", spec: "0 0 ? * SUN", fixed: true, next: "2026-01-04T00:00:00Z"},
		{name: "QuestionMarkDayOfWeek", spec: "0 0 1 * ?", fixed: true, next: "2026-02-01T00:00:00Z"},
		{name: "QuestionMarkMinuteIsWildcard", spec: "? 3 * * *", next: "2026-01-01T03:00:00Z"},
		{name: "HourStepIsWildcard", spec: "0 */2 * * *", next: "2026-01-01T02:00:00Z"},
		{name: "DayOfMonth31", spec: "0 0 31 * *", fixed: true, next: "2026-01-31T00:00:00Z"},
		{name: "LeadingZeros", spec: "05 09 * * *", fixed: true, next: "2026-01-01T09:05:00Z"},
		{name: "Yearly", spec: "@yearly", fixed: true, next: "2027-01-01T00:00:00Z"},
		{name: "Annually", spec: "@annually", fixed: true, next: "2027-01-01T00:00:00Z"},
		{name: "Monthly", spec: "@monthly", fixed: true, next: "2026-02-01T00:00:00Z"},
		{name: "Weekly", spec: "@weekly", fixed: true, next: "2026-01-04T00:00:00Z"},
		{name: "Daily", spec: "@daily", fixed: true, next: "2026-01-02T00:00:00Z"},
		{name: "Midnight", spec: "@midnight", fixed: true, next: "2026-01-02T00:00:00Z"},
		{name: "Hourly", spec: "@hourly", next: "2026-01-01T01:00:00Z"},
		{name: "DescriptorTrimmed", spec: "  @daily ", str: "@daily", fixed: true, next: "2026-01-02T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := schedule.ParseCron(tt.spec, time.UTC)
			require.NoError(t, err)
			want := tt.str
			if want == "" {
				want = tt.spec
			}
			require.Equal(t, want, c.String())
			require.Equal(t, time.UTC, c.Location())
			require.Equal(t, tt.fixed, c.FixedTime())
			require.Equal(t, tt.next, c.Next(t0).Format(time.RFC3339))
		})
	}
}

func TestParseCronInvalid(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name  string
		spec  string
		field string
		msg   string // substring of the message
	}{
		{name: "Empty", spec: "", field: "spec", msg: "is empty"},
		{name: "Blank", spec: " \t ", field: "spec", msg: "is empty"},
		{name: "TooLong", spec: strings.Repeat("1,", 600) + "1 * * * *", field: "spec", msg: "longer than 1024 bytes"},
		{name: "FourFields", spec: "* * * *", field: "spec", msg: "found 4"},
		{name: "SevenFields", spec: "* * * * * * *", field: "spec", msg: "found 7"},
		{name: "OneGarbageField", spec: "garbage", field: "spec", msg: "found 1"},
		{name: "MinuteOutOfRange", spec: "61 * * * *", field: "minute", msg: "61 is out of range 0-59"},
		{name: "HourOutOfRange", spec: "0 24 * * *", field: "hour", msg: "24 is out of range 0-23"},
		{name: "DayOfMonthZero", spec: "0 0 0 * *", field: "day of month", msg: "0 is out of range 1-31"},
		{name: "DayOfMonth32", spec: "0 0 32 * *", field: "day of month", msg: "32 is out of range 1-31"},
		{name: "Month13", spec: "0 0 1 13 *", field: "month", msg: "13 is out of range 1-12"},
		{name: "DayOfWeek7", spec: "0 0 * * 7", field: "day of week", msg: "7 is out of range 0-6"},
		{name: "Second60", spec: "60 * * * * *", field: "second", msg: "60 is out of range 0-59"},
		{name: "HugeNumber", spec: "99999999999999999999 * * * *", field: "minute", msg: "out of range 0-59"},
		{name: "StepZero", spec: "*/0 * * * *", field: "minute", msg: "step 0"},
		{name: "StepTooLarge", spec: "*/61 * * * *", field: "minute", msg: "larger than the range 0-59"},
		{name: "StepNotNumber", spec: "*/x * * * *", field: "minute", msg: `step "x"`},
		{name: "TwoSteps", spec: "1/2/3 * * * *", field: "minute", msg: "more than one step"},
		{name: "TwoDashes", spec: "1-2-3 * * * *", field: "minute", msg: "more than one dash"},
		{name: "BackwardsRange", spec: "5-1 * * * *", field: "minute", msg: "starts after it ends"},
		{name: "StarInRange", spec: "*-5 * * * *", field: "minute", msg: "cannot be part of a range"},
		{name: "NegativeNumber", spec: "-1 * * * *", field: "minute", msg: "missing a number"},
		{name: "PlusSign", spec: "+1 * * * *", field: "minute", msg: "not a number"},
		{name: "Decimal", spec: "1.5 * * * *", field: "minute", msg: "not a number"},
		{name: "EmptyListItem", spec: "1,,2 * * * *", field: "minute", msg: "empty list item"},
		{name: "LoneComma", spec: ", * * * *", field: "minute", msg: "empty list item"},
		{name: "MonthNameInMinute", spec: "JAN * * * *", field: "minute", msg: `"JAN" is not a number`},
		{name: "UnknownMonthName", spec: "0 0 1 JANUARY *", field: "month", msg: "month name"},
		{name: "UnknownWeekdayName", spec: "0 0 * * Monday", field: "day of week", msg: "weekday name"},
		{name: "OpenRange", spec: "0 0 * * MON-", field: "day of week", msg: "missing a number"},
		{name: "GarbageHour", spec: "0 x * * *", field: "hour", msg: `"x" is not a number`},
		{name: "TZBare", spec: "TZ=", field: "spec", msg: "tz field"},
		{name: "TZZero", spec: "TZ=0", field: "spec", msg: "tz field"},
		{name: "TZRepeated", spec: "TZ=TZ=TZ=", field: "spec", msg: "tz field"},
		{name: "CronTZ", spec: "CRON_TZ=UTC", field: "spec", msg: "tz field"},
		{name: "TZPrefix", spec: "TZ=UTC 0 0 * * *", field: "spec", msg: "tz field"},
		{name: "EqualsSign", spec: "0 0 * * * a=b", field: "spec", msg: "tz field"},
		{name: "EveryDescriptor", spec: "@every 5m", field: "spec", msg: "every schedule"},
		{name: "EveryBare", spec: "@every", field: "spec", msg: "every schedule"},
		{name: "UnknownDescriptor", spec: "@reboot", field: "spec", msg: "unknown descriptor"},
		{name: "DescriptorWithExtra", spec: "@daily 5", field: "spec", msg: "unknown descriptor"},
		{name: "UpperCaseDescriptor", spec: "@DAILY", field: "spec", msg: "unknown descriptor"},
		{name: "DescriptorInField", spec: "@daily * * * * *", field: "spec", msg: "unknown descriptor"},
		{name: "AtInHour", spec: "* @daily * * *", field: "hour", msg: "not a number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := schedule.ParseCron(tt.spec, time.UTC)
			require.Error(t, err)
			require.Nil(t, c)

			var pe *schedule.ParseError
			require.ErrorAs(t, err, &pe)
			require.Equal(t, tt.field, pe.Field)
			require.Contains(t, pe.Msg, tt.msg)
			require.Equal(t, tt.spec, pe.Spec)
			require.ErrorIs(t, err, schedule.ErrInvalidSpec)
			require.Equal(t, strings.ToLower(err.Error()[:1]), err.Error()[:1])
			require.LessOrEqual(t, len(err.Error()), 300, "long specs are shortened in messages")
		})
	}
}

func TestParseErrorMessage(t *testing.T) {
	t.Parallel()

	_, err := schedule.ParseCron("61 * * * *", time.UTC)
	require.EqualError(t, err, `cron spec "61 * * * *": minute: 61 is out of range 0-59`)

	_, err = schedule.ParseCron("TZ=UTC", time.UTC)
	require.EqualError(t, err, `cron spec "TZ=UTC": time zone goes in the job's tz field, not the spec`)

	wrapped := errors.Join(errors.New("create job"), err)
	var pe *schedule.ParseError
	require.ErrorAs(t, wrapped, &pe)
	require.Equal(t, "spec", pe.Field)
}

func TestParseCronLocation(t *testing.T) {
	t.Parallel()

	t.Run("NilMeansUTC", func(t *testing.T) {
		t.Parallel()
		c, err := schedule.ParseCron("0 0 * * *", nil)
		require.NoError(t, err)
		require.Equal(t, time.UTC, c.Location())
	})

	t.Run("LocalRejected", func(t *testing.T) {
		t.Parallel()
		_, err := schedule.ParseCron("0 0 * * *", time.Local)
		var pe *schedule.ParseError
		require.ErrorAs(t, err, &pe)
		require.Equal(t, "time zone", pe.Field)
	})

	t.Run("KeepsZone", func(t *testing.T) {
		t.Parallel()
		tokyo := loc(t, "Asia/Tokyo")
		c, err := schedule.ParseCron("0 9 * * *", tokyo)
		require.NoError(t, err)
		require.Equal(t, tokyo, c.Location())
	})
}
