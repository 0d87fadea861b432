package schedule_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/jetcron/jetcron/pkg/schedule"
)

// A fixed-time spec whose wall time is lost when clocks spring forward runs
// once, at the transition.
func ExampleCron_Next() {
	ny, err := schedule.LoadLocation("America/New_York")
	if err != nil {
		panic(err)
	}
	c, err := schedule.ParseCron("30 2 * * *", ny)
	if err != nil {
		panic(err)
	}
	t := time.Date(2026, 3, 6, 12, 0, 0, 0, ny)
	for range 3 {
		t = c.Next(t)
		fmt.Println(t.Format(time.RFC3339))
	}
	fmt.Println(c.Describe())
	// Output:
	// 2026-03-07T02:30:00-05:00
	// 2026-03-08T03:00:00-04:00
	// 2026-03-09T02:30:00-04:00
	// at 02:30 every day
}

// A wildcard spec runs through the repeated hour twice when clocks fall back.
func ExampleCron_Next_fallBack() {
	ny, err := schedule.LoadLocation("America/New_York")
	if err != nil {
		panic(err)
	}
	c, err := schedule.ParseCron("0 * * * *", ny)
	if err != nil {
		panic(err)
	}
	t := time.Date(2026, 11, 1, 0, 30, 0, 0, ny)
	for range 3 {
		t = c.Next(t)
		fmt.Println(t.Format(time.RFC3339))
	}
	// Output:
	// 2026-11-01T01:00:00-04:00
	// 2026-11-01T01:00:00-05:00
	// 2026-11-01T02:00:00-05:00
}

func ExampleParseCron_error() {
	_, err := schedule.ParseCron("61 * * * *", time.UTC)
	fmt.Println(err)

	var pe *schedule.ParseError
	if errors.As(err, &pe) {
		fmt.Println(pe.Field)
	}
	// Output:
	// cron spec "61 * * * *": minute: 61 is out of range 0-59
	// minute
}

func ExampleCheckFires() {
	c, err := schedule.ParseCron("0 0 30 2 *", time.UTC)
	if err != nil {
		panic(err)
	}
	err = schedule.CheckFires(c, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	fmt.Println(errors.Is(err, schedule.ErrNeverFires))
	// Output: true
}

func ExampleEvery() {
	e := schedule.Every{Interval: 5 * time.Minute}
	fmt.Println(e.Next(time.Date(2026, 1, 1, 10, 2, 30, 0, time.UTC)).Format(time.RFC3339))
	fmt.Println(e.Describe())
	// Output:
	// 2026-01-01T10:05:00Z
	// every 5 minutes
}
