package calendar

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jetcron/jetcron/pkg/schedule"
)

// MaxICSBytes bounds an ICS file ParseICS reads.
const MaxICSBytes = 1 << 20

// maxEventDays bounds the days one all-day event covers.
const maxEventDays = 366

// ErrICS marks an ICS file ParseICS refuses.
var ErrICS = errors.New("invalid ICS")

// icsEvent is one VEVENT's properties that matter here.
type icsEvent struct {
	line               int
	summary            string
	start, end         string
	startTZ, endTZ     string
	startDate, endDate bool
	rrule              string
	hasEnd             bool
}

// ParseICS reads the VEVENTs of an iCalendar file into exclusions: an
// all-day event (DTSTART;VALUE=DATE) excludes its days, DTEND excluded (one
// day without DTEND); a timed event (DTSTART and DTEND) excludes the window
// between them. Times without a zone (floating) are read in loc. An RRULE
// with FREQ=YEARLY repeats the event every year; any other RRULE is
// refused. The error names the line at fault.
func ParseICS(data []byte, loc *time.Location) (dates, annual []string, windows []Window, err error) {
	if len(data) > MaxICSBytes {
		return nil, nil, nil, fmt.Errorf("%w: %d bytes; at most %d are read", ErrICS, len(data), MaxICSBytes)
	}
	if loc == nil {
		loc = time.UTC
	}
	lines := unfold(data)
	var ev *icsEvent
	seenCalendar := false
	for i, raw := range lines {
		n := i + 1
		name, params, value, ok := splitProp(raw)
		if !ok {
			continue // blank or junk lines between properties are ignored
		}
		switch {
		case name == "BEGIN" && strings.EqualFold(value, "VCALENDAR"):
			seenCalendar = true
		case name == "BEGIN" && strings.EqualFold(value, "VEVENT"):
			if ev != nil {
				return nil, nil, nil, fmt.Errorf("%w: line %d: VEVENT inside a VEVENT", ErrICS, n)
			}
			ev = &icsEvent{line: n}
		case name == "END" && strings.EqualFold(value, "VEVENT"):
			if ev == nil {
				return nil, nil, nil, fmt.Errorf("%w: line %d: END:VEVENT without BEGIN", ErrICS, n)
			}
			d, a, w, err := ev.exclusions(loc)
			if err != nil {
				return nil, nil, nil, err
			}
			dates, annual, windows = append(dates, d...), append(annual, a...), append(windows, w...)
			if len(dates) > MaxDates || len(windows) > MaxWindows {
				return nil, nil, nil, fmt.Errorf("%w: more than %d dates or %d windows", ErrICS, MaxDates, MaxWindows)
			}
			ev = nil
		case ev == nil:
		case name == "DTSTART":
			ev.start, ev.startTZ, ev.startDate = value, params["TZID"], strings.EqualFold(params["VALUE"], "DATE") || len(value) == 8
		case name == "DTEND":
			ev.end, ev.endTZ, ev.endDate, ev.hasEnd = value, params["TZID"], strings.EqualFold(params["VALUE"], "DATE") || len(value) == 8, true
		case name == "SUMMARY":
			ev.summary = unescape(value)
		case name == "RRULE":
			ev.rrule = value
		}
	}
	if !seenCalendar {
		return nil, nil, nil, fmt.Errorf("%w: no BEGIN:VCALENDAR", ErrICS)
	}
	if ev != nil {
		return nil, nil, nil, fmt.Errorf("%w: line %d: VEVENT not ended", ErrICS, ev.line)
	}
	if len(dates)+len(annual)+len(windows) == 0 {
		return nil, nil, nil, fmt.Errorf("%w: no VEVENT", ErrICS)
	}
	return sortedUnique(dates), sortedUnique(annual), windows, nil
}

// unfold splits data into logical lines, joining continuation lines (those
// starting with a space or tab).
func unfold(data []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), MaxICSBytes+1)
	for sc.Scan() {
		l := strings.TrimRight(sc.Text(), "\r")
		if (strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t")) && len(out) > 0 {
			out[len(out)-1] += l[1:]
			continue
		}
		out = append(out, l)
	}
	return out
}

// splitProp splits "NAME;P=V;Q=W:value".
func splitProp(line string) (name string, params map[string]string, value string, ok bool) {
	head, value, found := cutUnquoted(line)
	if !found {
		return "", nil, "", false
	}
	parts := strings.Split(head, ";")
	name = strings.ToUpper(strings.TrimSpace(parts[0]))
	if name == "" {
		return "", nil, "", false
	}
	params = map[string]string{}
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(p, "=")
		params[strings.ToUpper(k)] = strings.Trim(v, `"`)
	}
	return name, params, strings.TrimSpace(value), true
}

// cutUnquoted cuts line at its first colon outside double quotes.
func cutUnquoted(line string) (string, string, bool) {
	quoted := false
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '"':
			quoted = !quoted
		case ':':
			if !quoted {
				return line[:i], line[i+1:], true
			}
		}
	}
	return "", "", false
}

func unescape(s string) string {
	r := strings.NewReplacer(`\n`, " ", `\N`, " ", `\,`, ",", `\;`, ";", `\\`, `\`)
	s = r.Replace(s)
	if len(s) > MaxSummaryLen {
		s = s[:MaxSummaryLen]
	}
	return strings.ToValidUTF8(s, "")
}

// exclusions turns the event into dates or a window.
func (ev *icsEvent) exclusions(loc *time.Location) (dates, annual []string, windows []Window, err error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w: VEVENT at line %d: %s", ErrICS, ev.line, fmt.Sprintf(format, args...))
	}
	yearly := false
	if ev.rrule != "" {
		freq := ""
		for _, part := range strings.Split(ev.rrule, ";") {
			if k, v, _ := strings.Cut(part, "="); strings.EqualFold(k, "FREQ") {
				freq = strings.ToUpper(v)
			}
		}
		if freq != "YEARLY" {
			return nil, nil, nil, fail("RRULE %q: only FREQ=YEARLY is supported", clip(ev.rrule))
		}
		yearly = true
	}
	if ev.start == "" {
		return nil, nil, nil, fail("no DTSTART")
	}
	if ev.startDate {
		d1, err := time.Parse("20060102", ev.start)
		if err != nil {
			return nil, nil, nil, fail("DTSTART %q is not a date YYYYMMDD", clip(ev.start))
		}
		d2 := d1.AddDate(0, 0, 1)
		if ev.hasEnd {
			if !ev.endDate {
				return nil, nil, nil, fail("an all-day DTSTART needs an all-day DTEND")
			}
			if d2, err = time.Parse("20060102", ev.end); err != nil {
				return nil, nil, nil, fail("DTEND %q is not a date YYYYMMDD", clip(ev.end))
			}
			if !d2.After(d1) {
				return nil, nil, nil, fail("DTEND %s is not after DTSTART %s", ev.end, ev.start)
			}
			if d2.Sub(d1) > maxEventDays*24*time.Hour {
				return nil, nil, nil, fail("covers more than %d days", maxEventDays)
			}
		}
		for d := d1; d.Before(d2); d = d.AddDate(0, 0, 1) {
			if yearly {
				annual = append(annual, d.Format("01-02"))
			} else {
				dates = append(dates, d.Format(DateLayout))
			}
		}
		return dates, annual, nil, nil
	}
	start, err := icsTime(ev.start, ev.startTZ, loc)
	if err != nil {
		return nil, nil, nil, fail("DTSTART: %v", err)
	}
	if !ev.hasEnd {
		return nil, nil, nil, fail("a timed event needs a DTEND")
	}
	end, err := icsTime(ev.end, ev.endTZ, loc)
	if err != nil {
		return nil, nil, nil, fail("DTEND: %v", err)
	}
	if !end.After(start) {
		return nil, nil, nil, fail("DTEND is not after DTSTART")
	}
	if yearly && end.Sub(start) > 366*24*time.Hour {
		return nil, nil, nil, fail("a yearly event must be shorter than a year")
	}
	return nil, nil, []Window{{Start: start.UTC(), End: end.UTC(), Yearly: yearly, Summary: ev.summary}}, nil
}

// icsTime reads a DATE-TIME: UTC with a Z, else in the TZID zone, else in loc.
func icsTime(v, tzid string, loc *time.Location) (time.Time, error) {
	if strings.HasSuffix(v, "Z") {
		t, err := time.Parse("20060102T150405Z", v)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q is not a time YYYYMMDDTHHMMSSZ", clip(v))
		}
		return t, nil
	}
	if tzid != "" {
		l, err := schedule.LoadLocation(tzid)
		if err != nil {
			return time.Time{}, fmt.Errorf("TZID %q: %v", clip(tzid), err)
		}
		loc = l
	}
	t, err := time.ParseInLocation("20060102T150405", v, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a time YYYYMMDDTHHMMSS", clip(v))
	}
	return t, nil
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
