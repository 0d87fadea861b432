package schedule

import (
	"fmt"
	"time"
)

// Schedule yields fire instants.
type Schedule interface {
	// Next returns the first fire instant strictly after t, or the zero Time if there is none.
	Next(t time.Time) time.Time
}

// MinEvery is the shortest interval the job API accepts for an Every
// schedule.
const MinEvery = time.Second

// HorizonYears is how far past t a Cron's Next searches, and how far past
// from CheckFires looks, before concluding that there is no fire instant.
const HorizonYears = 5

// horizon returns the end of the search window that starts at t.
func horizon(t time.Time) time.Time {
	return t.UTC().AddDate(HorizonYears, 0, 0)
}

// CheckFires returns an error wrapping ErrNeverFires when s has no fire
// instant within 5 years after from (e.g. "0 0 30 2 *"). The job API calls
// it to reject schedules that would never run.
func CheckFires(s Schedule, from time.Time) error {
	if s == nil {
		return fmt.Errorf("nil schedule: %w", ErrNeverFires)
	}
	next := s.Next(from)
	end := horizon(from)
	switch {
	case next.IsZero():
		return fmt.Errorf("no fire instant within %d years after %s: %w",
			HorizonYears, from.UTC().Format(time.RFC3339), ErrNeverFires)
	case next.After(end):
		return fmt.Errorf("first fire instant %s is more than %d years after %s: %w",
			next.UTC().Format(time.RFC3339), HorizonYears, from.UTC().Format(time.RFC3339), ErrNeverFires)
	}
	return nil
}

// NextTimes returns at most n fire instants of s after from, as RFC 3339
// strings with the offset of loc; fewer when s stops firing. The job API's
// views and `jetcron cron next` both list upcoming runs with it.
func NextTimes(s Schedule, loc *time.Location, from time.Time, n int) []string {
	var out []string
	t := from
	for range n {
		t = s.Next(t)
		if t.IsZero() {
			break
		}
		out = append(out, t.In(loc).Format(time.RFC3339))
	}
	return out
}
