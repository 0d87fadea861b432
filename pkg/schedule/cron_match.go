package schedule

import (
	"math/bits"
	"time"
)

// nextWall returns the first naive wall-clock time w (see wallOf) with
// from <= w < limit that matches every field. from must be a whole second.
// Like robfig's spec.go it moves field by field, from month down to
// second, resetting lower fields whenever a higher one advances and
// starting over when a field wraps; hours, minutes and seconds jump
// straight to the next set bit. The cost grows with the number of months
// and days scanned, never with the number of seconds.
func (c *Cron) nextWall(from, limit time.Time) (time.Time, bool) {
	t := from
	added := false // once a field advanced, all lower fields are at their minimum

wrap:
	if !t.Before(limit) {
		return time.Time{}, false
	}
	for c.month&(1<<uint(t.Month())) == 0 {
		if !added {
			added = true
			t = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
		}
		t = t.AddDate(0, 1, 0)
		if !t.Before(limit) {
			return time.Time{}, false
		}
	}
	for !c.dayMatches(t) {
		if !added {
			added = true
			t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		}
		t = t.AddDate(0, 0, 1)
		if t.Day() == 1 {
			goto wrap
		}
	}
	if h := t.Hour(); c.hour&(1<<uint(h)) == 0 {
		if !added {
			added = true
			t = t.Truncate(time.Hour)
		}
		next := nextBit(c.hour, h+1, 23)
		if next < 0 {
			t = t.Add(time.Duration(24-h) * time.Hour) // midnight of the next day
			goto wrap
		}
		t = t.Add(time.Duration(next-h) * time.Hour)
	}
	if m := t.Minute(); c.minute&(1<<uint(m)) == 0 {
		if !added {
			added = true
			t = t.Truncate(time.Minute)
		}
		next := nextBit(c.minute, m+1, 59)
		if next < 0 {
			t = t.Add(time.Duration(60-m) * time.Minute)
			goto wrap
		}
		t = t.Add(time.Duration(next-m) * time.Minute)
	}
	if s := t.Second(); c.second&(1<<uint(s)) == 0 {
		next := nextBit(c.second, s+1, 59)
		if next < 0 {
			t = t.Add(time.Duration(60-s) * time.Second)
			goto wrap
		}
		t = t.Add(time.Duration(next-s) * time.Second)
	}
	if !t.Before(limit) {
		return time.Time{}, false
	}
	return t, true
}

// nextBit returns the smallest v with from <= v <= maxVal whose bit is set
// in mask, or -1 when there is none.
func nextBit(mask uint64, from, maxVal int) int {
	if from > maxVal {
		return -1
	}
	m := mask &^ starBit & (^uint64(0) << uint(from))
	if m == 0 {
		return -1
	}
	if v := bits.TrailingZeros64(m); v <= maxVal {
		return v
	}
	return -1
}

// dayMatches applies cron's day rule to naive time t: when day of month
// or day of week is written as "*" (or "?"), both must match; when both
// are restricted, either may match (standard cron OR semantics).
func (c *Cron) dayMatches(t time.Time) bool {
	domMatch := c.dom&(1<<uint(t.Day())) != 0
	dowMatch := c.dow&(1<<uint(t.Weekday())) != 0
	if c.dom&starBit != 0 || c.dow&starBit != 0 {
		return domMatch && dowMatch
	}
	return domMatch || dowMatch
}
