package schedule

import (
	"fmt"
	"strconv"
	"strings"
)

// maxListItems is the longest list Describe spells out before giving up and
// returning the spec itself; maxClockTimes is the most times of day it lists.
const (
	maxListItems  = 6
	maxClockTimes = 4
)

var monthWords = [13]string{
	"", "January", "February", "March", "April", "May", "June",
	"July", "August", "September", "October", "November", "December",
}

var dowWords = [7]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}

// Describe returns a short English phrase for the spec, such as
// "at 02:30 every day", "every 15 minutes", "at 09:00 on Monday through
// Friday" or "every second", for display in the web UI. Times are wall
// clock times in the Cron's location. When no phrase fits, Describe
// returns the spec itself.
func (c *Cron) Describe() string {
	if s, ok := c.describe(); ok {
		return s
	}
	return c.spec
}

func (c *Cron) describe() (string, bool) {
	on, in, ok := c.dayPhrase()
	if !ok {
		return "", false
	}
	if at, ok := c.clockPhrase(); ok {
		if on == "" {
			on = "every day"
		}
		return joinWords(at, on, in), true
	}
	if every, ok := c.periodPhrase(); ok {
		return joinWords(every, on, in), true
	}
	return "", false
}

// clockPhrase describes specs that fire at one or a few wall-clock times a
// day, e.g. "at 02:30" or "at 09:00 and 17:00".
func (c *Cron) clockPhrase() (string, bool) {
	secs, mins, hours := bitValues(c.second, 0, 59), bitValues(c.minute, 0, 59), bitValues(c.hour, 0, 23)
	if len(secs) != 1 || len(mins) != 1 || len(hours) > maxClockTimes {
		return "", false
	}
	if _, isStep := stepOf(hours, 0, 23); isStep && len(hours) > 1 {
		return "", false // "every 2 hours" reads better; see periodPhrase
	}
	times := make([]string, len(hours))
	for i, h := range hours {
		times[i] = clock(h, mins[0], secs[0])
	}
	return "at " + joinList(times), true
}

// periodPhrase describes specs that repeat within a day, e.g.
// "every 15 minutes", "every 2 hours" or "every minute from 09:00 to 17:59".
func (c *Cron) periodPhrase() (string, bool) {
	secs, mins, hours := bitValues(c.second, 0, 59), bitValues(c.minute, 0, 59), bitValues(c.hour, 0, 23)
	secStep, secPeriodic := stepOf(secs, 0, 59)
	minStep, minPeriodic := stepOf(mins, 0, 59)
	hourStep, hourPeriodic := stepOf(hours, 0, 23)
	secZero := len(secs) == 1 && secs[0] == 0

	switch {
	case secPeriodic && len(mins) == 60 && len(hours) == 24:
		return countPhrase(int64(secStep), "second"), true
	case len(secs) == 1 && len(mins) == 60 && len(hours) == 24:
		if secZero {
			return "every minute", true
		}
		return fmt.Sprintf("every minute at second %d", secs[0]), true
	case !secZero:
		return "", false
	case minPeriodic && len(hours) == 24:
		return countPhrase(int64(minStep), "minute"), true
	case len(mins) == 1 && hourPeriodic:
		s := countPhrase(int64(hourStep), "hour")
		if mins[0] != 0 {
			s += fmt.Sprintf(" at minute %d", mins[0])
		}
		return s, true
	}

	// A contiguous block of hours, e.g. "*/15 9-17 * * *".
	first, last := hours[0], hours[len(hours)-1]
	if last-first+1 != len(hours) {
		return "", false
	}
	span := fmt.Sprintf(" from %s to %s", clock(first, mins[0], 0), clock(last, mins[len(mins)-1], 0))
	switch {
	case minPeriodic:
		return countPhrase(int64(minStep), "minute") + span, true
	case len(mins) == 1:
		return "every hour" + span, true
	}
	return "", false
}

// dayPhrase describes the day fields. on is "" (every day) or a phrase such
// as "on Monday through Friday" or "on day 1 of every month"; in is "" or a
// month restriction such as "in January" that on does not already cover.
func (c *Cron) dayPhrase() (on, in string, ok bool) {
	doms, dows, months := bitValues(c.dom, 1, 31), bitValues(c.dow, 0, 6), bitValues(c.month, 1, 12)
	domRestricted, dowRestricted := len(doms) < 31, len(dows) < 7
	if c.dom&starBit == 0 && c.dow&starBit == 0 && (!domRestricted || !dowRestricted) {
		// OR semantics with one side matching every day.
		domRestricted, dowRestricted = false, false
	}

	monthList, ok := nameList(months, monthWords[:])
	if !ok {
		return "", "", false
	}
	if len(months) < 12 {
		in = "in " + monthList
	}
	dowList, ok := nameList(dows, dowWords[:])
	if !ok {
		return "", "", false
	}
	domList, ok := numberList(doms)
	if !ok {
		return "", "", false
	}
	dayWord := "day "
	if len(doms) > 1 {
		dayWord = "days "
	}

	switch {
	case domRestricted && dowRestricted:
		if in != "" {
			return "", "", false
		}
		return fmt.Sprintf("on %s%s of every month and on every %s", dayWord, domList, dowList), "", true
	case domRestricted && len(doms) == 1 && len(months) == 1:
		return fmt.Sprintf("on %s %d", monthWords[months[0]], doms[0]), "", true
	case domRestricted && in != "":
		return fmt.Sprintf("on %s%s of %s", dayWord, domList, monthList), "", true
	case domRestricted:
		return fmt.Sprintf("on %s%s of every month", dayWord, domList), "", true
	case dowRestricted:
		return "on " + dowList, in, true
	}
	return "", in, true
}

// bitValues lists the values in [lo, hi] whose bits are set in mask.
func bitValues(mask uint64, lo, hi int) []int {
	var vs []int
	for v := lo; v <= hi; v++ {
		if mask&(1<<uint(v)) != 0 {
			vs = append(vs, v)
		}
	}
	return vs
}

// stepOf reports whether vs is lo, lo+k, lo+2k, ... covering [lo, hi] with
// a step k that divides the range evenly (so the gap is k everywhere,
// including across the wrap), and returns k. Every value is step 1.
func stepOf(vs []int, lo, hi int) (int, bool) {
	n := hi - lo + 1
	if len(vs) < 2 || vs[0] != lo {
		return 0, false
	}
	k := vs[1] - vs[0]
	if n%k != 0 || len(vs) != n/k {
		return 0, false
	}
	for i, v := range vs {
		if v != lo+i*k {
			return 0, false
		}
	}
	return k, true
}

// numberList spells out vs, e.g. "1 and 15" or "1 through 7".
func numberList(vs []int) (string, bool) {
	return runList(vs, strconv.Itoa)
}

// nameList spells out vs using names, e.g. "Monday through Friday".
func nameList(vs []int, names []string) (string, bool) {
	return runList(vs, func(v int) string { return names[v] })
}

// runList joins vs, writing runs of three or more consecutive values as
// "a through b". It fails when the result has more than maxListItems items.
func runList(vs []int, name func(int) string) (string, bool) {
	var items []string
	for i := 0; i < len(vs); {
		j := i
		for j+1 < len(vs) && vs[j+1] == vs[j]+1 {
			j++
		}
		if j-i >= 2 {
			items = append(items, name(vs[i])+" through "+name(vs[j]))
		} else {
			for k := i; k <= j; k++ {
				items = append(items, name(vs[k]))
			}
		}
		i = j + 1
	}
	if len(items) == 0 || len(items) > maxListItems {
		return "", false
	}
	return joinList(items), true
}

// joinList joins items as "a", "a and b" or "a, b and c".
func joinList(items []string) string {
	if len(items) <= 1 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// joinWords joins the non-empty parts with single spaces.
func joinWords(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, " ")
}

// clock formats a wall-clock time as "15:04", or "15:04:05" when sec != 0.
func clock(hour, minute, sec int) string {
	if sec != 0 {
		return fmt.Sprintf("%02d:%02d:%02d", hour, minute, sec)
	}
	return fmt.Sprintf("%02d:%02d", hour, minute)
}
