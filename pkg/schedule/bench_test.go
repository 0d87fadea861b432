package schedule_test

import (
	"testing"
	"time"

	"github.com/jetcron/jetcron/pkg/schedule"
)

func BenchmarkCronNext(b *testing.B) {
	from := time.Date(2026, 3, 7, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name, spec, zone string
	}{
		{name: "EveryMinuteUTC", spec: "* * * * *", zone: "UTC"},
		{name: "QuarterHourNewYork", spec: "*/15 * * * *", zone: "America/New_York"},
		{name: "DailyAcrossGapNewYork", spec: "30 2 * * *", zone: "America/New_York"},
		{name: "WeekdaysBerlin", spec: "0 9 * * 1-5", zone: "Europe/Berlin"},
		{name: "SecondsLordHowe", spec: "*/10 * * * * *", zone: "Australia/Lord_Howe"},
		{name: "LeapDayNewYork", spec: "0 0 29 2 *", zone: "America/New_York"},
		{name: "NeverFiresBerlin", spec: "0 0 30 2 *", zone: "Europe/Berlin"}, // full 5-year search
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			c := parse(b, bc.spec, bc.zone)
			b.ReportAllocs()
			for b.Loop() {
				c.Next(from)
			}
		})
	}
}

func BenchmarkEveryNext(b *testing.B) {
	e := schedule.Every{Interval: 5 * time.Minute}
	from := time.Date(2026, 3, 7, 12, 0, 1, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		e.Next(from)
	}
}

func BenchmarkParseCron(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := schedule.ParseCron("*/15 9-17 * JAN-JUN MON-FRI", time.UTC); err != nil {
			b.Fatal(err)
		}
	}
}
