package schedule_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Transitions used below (local wall clock):
//
//	America/New_York     2026-03-08 02:00 EST -> 03:00 EDT; 2026-11-01 02:00 EDT -> 01:00 EST
//	Europe/Berlin        2026-03-29 02:00 CET -> 03:00 CEST; 2026-10-25 03:00 CEST -> 02:00 CET
//	Australia/Lord_Howe  2026-04-05 02:00 +11 -> 01:30 +1030; 2026-10-04 02:00 +1030 -> 02:30 +11
//	America/Santiago     2026-04-05 00:00 -03 -> 04-04 23:00 -04; 2026-09-06 00:00 -04 -> 01:00 -03
//	America/Havana       2026-03-08 00:00 CST -> 01:00 CDT; 2026-11-01 01:00 CDT -> 00:00 CST
//	Asia/Beirut          2026-03-29 00:00 EET -> 01:00 EEST; 2026-10-25 00:00 EEST -> 10-24 23:00 EET
func TestCronNextDST(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name string
		zone string
		spec string
		from string
		want []string
	}{
		// America/New_York
		{
			name: "NewYorkSpring0230FiresAtTransition", zone: "America/New_York", spec: "30 2 * * *", from: "2026-03-06T12:00:00-05:00",
			want: []string{"2026-03-07T02:30:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"},
		},
		{
			name: "NewYorkFall0230Unaffected", zone: "America/New_York", spec: "30 2 * * *", from: "2026-10-30T12:00:00-04:00",
			want: []string{"2026-10-31T02:30:00-04:00", "2026-11-01T02:30:00-05:00", "2026-11-02T02:30:00-05:00"},
		},
		{
			name: "NewYorkSpring0130Unaffected", zone: "America/New_York", spec: "30 1 * * *", from: "2026-03-06T12:00:00-05:00",
			want: []string{"2026-03-07T01:30:00-05:00", "2026-03-08T01:30:00-05:00", "2026-03-09T01:30:00-04:00"},
		},
		{
			name: "NewYorkFall0130FiresFirstOnly", zone: "America/New_York", spec: "30 1 * * *", from: "2026-10-30T12:00:00-04:00",
			want: []string{"2026-10-31T01:30:00-04:00", "2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"},
		},
		{
			name: "NewYorkSpringQuarterHoursSkipGap", zone: "America/New_York", spec: "*/15 * * * *", from: "2026-03-08T01:00:00-05:00",
			want: []string{
				"2026-03-08T01:15:00-05:00", "2026-03-08T01:30:00-05:00", "2026-03-08T01:45:00-05:00",
				"2026-03-08T03:00:00-04:00", "2026-03-08T03:15:00-04:00",
			},
		},
		{
			name: "NewYorkFallQuarterHoursRunTwice", zone: "America/New_York", spec: "*/15 * * * *", from: "2026-11-01T00:45:00-04:00",
			want: []string{
				"2026-11-01T01:00:00-04:00", "2026-11-01T01:15:00-04:00", "2026-11-01T01:30:00-04:00", "2026-11-01T01:45:00-04:00",
				"2026-11-01T01:00:00-05:00", "2026-11-01T01:15:00-05:00", "2026-11-01T01:30:00-05:00", "2026-11-01T01:45:00-05:00",
				"2026-11-01T02:00:00-05:00",
			},
		},
		{
			name: "NewYorkSpringGapMinutesFireOnce", zone: "America/New_York", spec: "0,30,59 2 * * *", from: "2026-03-08T01:59:59-05:00",
			want: []string{"2026-03-08T03:00:00-04:00", "2026-03-09T02:00:00-04:00"},
		},
		{
			name: "NewYorkSpringGapAndTransitionWallFireOnce", zone: "America/New_York", spec: "0 2,3 * * *", from: "2026-03-08T01:00:00-05:00",
			want: []string{"2026-03-08T03:00:00-04:00", "2026-03-09T02:00:00-04:00"},
		},
		{
			name: "NewYorkHourlyFall", zone: "America/New_York", spec: "@hourly", from: "2026-11-01T00:30:00-04:00",
			want: []string{"2026-11-01T01:00:00-04:00", "2026-11-01T01:00:00-05:00", "2026-11-01T02:00:00-05:00"},
		},
		{
			name: "NewYorkFixedSecondsInRepeatedHour", zone: "America/New_York", spec: "*/20 30 1 * * *", from: "2026-11-01T01:00:00-04:00",
			want: []string{"2026-11-01T01:30:00-04:00", "2026-11-01T01:30:20-04:00", "2026-11-01T01:30:40-04:00", "2026-11-02T01:30:00-05:00"},
		},

		// Europe/Berlin
		{
			name: "BerlinSpring0230FiresAtTransition", zone: "Europe/Berlin", spec: "30 2 * * *", from: "2026-03-27T12:00:00+01:00",
			want: []string{"2026-03-28T02:30:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"},
		},
		{
			name: "BerlinFall0230FiresFirstOnly", zone: "Europe/Berlin", spec: "30 2 * * *", from: "2026-10-23T12:00:00+02:00",
			want: []string{"2026-10-24T02:30:00+02:00", "2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"},
		},
		{
			name: "BerlinSpring0130Unaffected", zone: "Europe/Berlin", spec: "30 1 * * *", from: "2026-03-27T12:00:00+01:00",
			want: []string{"2026-03-28T01:30:00+01:00", "2026-03-29T01:30:00+01:00", "2026-03-30T01:30:00+02:00"},
		},
		{
			name: "BerlinFall0130Unaffected", zone: "Europe/Berlin", spec: "30 1 * * *", from: "2026-10-23T12:00:00+02:00",
			want: []string{"2026-10-24T01:30:00+02:00", "2026-10-25T01:30:00+02:00", "2026-10-26T01:30:00+01:00"},
		},
		{
			name: "BerlinSpringQuarterHoursSkipGap", zone: "Europe/Berlin", spec: "*/15 * * * *", from: "2026-03-29T01:30:00+01:00",
			want: []string{"2026-03-29T01:45:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-29T03:15:00+02:00"},
		},
		{
			name: "BerlinFallQuarterHoursRunTwice", zone: "Europe/Berlin", spec: "*/15 * * * *", from: "2026-10-25T01:45:00+02:00",
			want: []string{
				"2026-10-25T02:00:00+02:00", "2026-10-25T02:15:00+02:00", "2026-10-25T02:30:00+02:00", "2026-10-25T02:45:00+02:00",
				"2026-10-25T02:00:00+01:00", "2026-10-25T02:15:00+01:00", "2026-10-25T02:30:00+01:00", "2026-10-25T02:45:00+01:00",
				"2026-10-25T03:00:00+01:00",
			},
		},

		// Australia/Lord_Howe: 30-minute shifts.
		{
			name: "LordHoweFall0230Unaffected", zone: "Australia/Lord_Howe", spec: "30 2 * * *", from: "2026-04-03T12:00:00+11:00",
			want: []string{"2026-04-04T02:30:00+11:00", "2026-04-05T02:30:00+10:30", "2026-04-06T02:30:00+10:30"},
		},
		{
			name: "LordHoweSpring0230ExistsAfterHalfHourGap", zone: "Australia/Lord_Howe", spec: "30 2 * * *", from: "2026-10-02T12:00:00+10:30",
			want: []string{"2026-10-03T02:30:00+10:30", "2026-10-04T02:30:00+11:00", "2026-10-05T02:30:00+11:00"},
		},
		{
			name: "LordHoweFall0130FiresFirstOnly", zone: "Australia/Lord_Howe", spec: "30 1 * * *", from: "2026-04-03T12:00:00+11:00",
			want: []string{"2026-04-04T01:30:00+11:00", "2026-04-05T01:30:00+11:00", "2026-04-06T01:30:00+10:30"},
		},
		{
			name: "LordHoweSpring0130Unaffected", zone: "Australia/Lord_Howe", spec: "30 1 * * *", from: "2026-10-02T12:00:00+10:30",
			want: []string{"2026-10-03T01:30:00+10:30", "2026-10-04T01:30:00+10:30", "2026-10-05T01:30:00+11:00"},
		},
		{
			name: "LordHoweFallQuarterHoursRepeatHalfHour", zone: "Australia/Lord_Howe", spec: "*/15 * * * *", from: "2026-04-05T01:00:00+11:00",
			want: []string{
				"2026-04-05T01:15:00+11:00", "2026-04-05T01:30:00+11:00", "2026-04-05T01:45:00+11:00",
				"2026-04-05T01:30:00+10:30", "2026-04-05T01:45:00+10:30", "2026-04-05T02:00:00+10:30",
			},
		},
		{
			name: "LordHoweSpringQuarterHoursSkipHalfHour", zone: "Australia/Lord_Howe", spec: "*/15 * * * *", from: "2026-10-04T01:30:00+10:30",
			want: []string{"2026-10-04T01:45:00+10:30", "2026-10-04T02:30:00+11:00", "2026-10-04T02:45:00+11:00"},
		},
		{
			name: "LordHoweSpring0215FiresAtTransition", zone: "Australia/Lord_Howe", spec: "15 2 * * *", from: "2026-10-03T12:00:00+10:30",
			want: []string{"2026-10-04T02:30:00+11:00", "2026-10-05T02:15:00+11:00"},
		},
		{
			name: "LordHoweSpringGapAndTransitionWallFireOnce", zone: "Australia/Lord_Howe", spec: "0,15,30 2 * * *", from: "2026-10-04T01:00:00+10:30",
			want: []string{"2026-10-04T02:30:00+11:00", "2026-10-05T02:00:00+11:00"},
		},

		// Transitions at midnight.
		{
			name: "SantiagoSpringMidnightFiresAtTransition", zone: "America/Santiago", spec: "0 0 * * *", from: "2026-09-04T12:00:00-04:00",
			want: []string{"2026-09-05T00:00:00-04:00", "2026-09-06T01:00:00-03:00", "2026-09-07T00:00:00-03:00"},
		},
		{
			name: "SantiagoFallMidnightOnce", zone: "America/Santiago", spec: "0 0 * * *", from: "2026-04-03T12:00:00-03:00",
			want: []string{"2026-04-04T00:00:00-03:00", "2026-04-05T00:00:00-04:00", "2026-04-06T00:00:00-04:00"},
		},
		{
			name: "SantiagoFall2330FiresFirstOnly", zone: "America/Santiago", spec: "30 23 * * *", from: "2026-04-03T12:00:00-03:00",
			want: []string{"2026-04-03T23:30:00-03:00", "2026-04-04T23:30:00-03:00", "2026-04-05T23:30:00-04:00"},
		},
		{
			name: "SantiagoFallHourlyRepeats", zone: "America/Santiago", spec: "0 * * * *", from: "2026-04-04T22:30:00-03:00",
			want: []string{"2026-04-04T23:00:00-03:00", "2026-04-04T23:00:00-04:00", "2026-04-05T00:00:00-04:00"},
		},
		{
			name: "HavanaSpringMidnightFiresAtTransition", zone: "America/Havana", spec: "0 0 * * *", from: "2026-03-07T12:00:00-05:00",
			want: []string{"2026-03-08T01:00:00-04:00", "2026-03-09T00:00:00-04:00"},
		},
		{
			name: "HavanaFallMidnightFiresFirstOnly", zone: "America/Havana", spec: "0 0 * * *", from: "2026-10-31T12:00:00-04:00",
			want: []string{"2026-11-01T00:00:00-04:00", "2026-11-02T00:00:00-05:00"},
		},
		{
			name: "BeirutSpringMidnightFiresAtTransition", zone: "Asia/Beirut", spec: "@daily", from: "2026-03-28T12:00:00+02:00",
			want: []string{"2026-03-29T01:00:00+03:00", "2026-03-30T00:00:00+03:00"},
		},
		{
			name: "BeirutFall2330FiresFirstOnly", zone: "Asia/Beirut", spec: "30 23 * * *", from: "2026-10-24T12:00:00+03:00",
			want: []string{"2026-10-24T23:30:00+03:00", "2026-10-25T23:30:00+02:00"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := parse(t, tt.spec, tt.zone)
			require.Equal(t, tt.want, firesN(c, rfc(t, tt.from), len(tt.want)))
		})
	}
}

func TestCronNextDSTRepeatedHourCount(t *testing.T) {
	t.Parallel()

	// */15 runs every 15 real minutes through New York's repeated hour:
	// 8 fires in [01:00 EDT, 02:00 EST), the 2 real hours from 05:00Z to 07:00Z.
	c := parse(t, "*/15 * * * *", "America/New_York")
	from := rfc(t, "2026-11-01T01:00:00-04:00")
	to := rfc(t, "2026-11-01T02:00:00-05:00")
	fires := firesBetween(c, from.Add(-time.Nanosecond), to.Add(-time.Nanosecond))
	require.Len(t, fires, 8)
	for i := 1; i < len(fires); i++ {
		require.Equal(t, 15*time.Minute, fires[i].Sub(fires[i-1]))
	}
}

func TestCronNextDSTDailyOncePerDay(t *testing.T) {
	t.Parallel()

	transitions := []struct {
		zone string
		day  string // local date of the transition
	}{
		{zone: "America/New_York", day: "2026-03-08"},
		{zone: "America/New_York", day: "2026-11-01"},
		{zone: "Europe/Berlin", day: "2026-03-29"},
		{zone: "Europe/Berlin", day: "2026-10-25"},
		{zone: "Australia/Lord_Howe", day: "2026-04-05"},
		{zone: "Australia/Lord_Howe", day: "2026-10-04"},
		{zone: "America/Santiago", day: "2026-04-05"},
		{zone: "America/Santiago", day: "2026-09-06"},
		{zone: "America/Havana", day: "2026-03-08"},
		{zone: "America/Havana", day: "2026-11-01"},
		{zone: "Asia/Beirut", day: "2026-03-29"},
		{zone: "Asia/Beirut", day: "2026-10-25"},
	}
	specs := []string{"30 2 * * *", "30 1 * * *", "0 2 * * *", "0 0 * * *", "30 23 * * *", "59 59 1 * * *"}

	for _, tr := range transitions {
		for _, spec := range specs {
			t.Run(tr.zone+"/"+tr.day+"/"+spec, func(t *testing.T) {
				t.Parallel()
				c := parse(t, spec, tr.zone)
				// Noon exists on every day, unlike midnight in some zones.
				day, err := time.ParseInLocation(time.DateOnly, tr.day, time.UTC)
				require.NoError(t, err)
				noon := time.Date(day.Year(), day.Month(), day.Day(), 12, 0, 0, 0, c.Location())

				perDay := map[string]int{}
				for _, f := range firesBetween(c, noon.AddDate(0, 0, -7), noon.AddDate(0, 0, 7)) {
					perDay[f.Format(time.DateOnly)]++
				}
				for i := -5; i < 5; i++ {
					d := noon.AddDate(0, 0, i).Format(time.DateOnly)
					require.Equal(t, 1, perDay[d], "fires on %s", d)
				}
			})
		}
	}
}

// TestCronNextLeapYearEndPastZoneTable covers the last UTC day of leap years
// after the zones' transition tables end, where Go's ZoneBounds misreports
// the current segment (see segmentAt).
func TestCronNextLeapYearEndPastZoneTable(t *testing.T) {
	t.Parallel()

	zones := []string{"Europe/Berlin", "America/New_York", "America/Santiago", "Australia/Sydney", "Australia/Lord_Howe"}
	for _, zone := range zones {
		for _, year := range []int{2040, 2044, 2400, 9984} {
			t.Run(zone+"/"+time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).Format("2006"), func(t *testing.T) {
				t.Parallel()
				daily := parse(t, "0 12 31 12 *", zone)
				l := daily.Location()
				from := time.Date(year, 12, 30, 12, 0, 0, 0, l)
				require.Equal(t, time.Date(year, 12, 31, 12, 0, 0, 0, l).Format(time.RFC3339),
					daily.Next(from).Format(time.RFC3339))

				quarter := parse(t, "*/15 * * * *", zone)
				fires := firesBetween(quarter, from, from.Add(72*time.Hour))
				require.Len(t, fires, 72*4)
				for i := 1; i < len(fires); i++ {
					require.Equal(t, 15*time.Minute, fires[i].Sub(fires[i-1]), "after %s", fires[i-1])
				}
			})
		}
	}
}
