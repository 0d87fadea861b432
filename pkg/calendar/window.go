package calendar

import (
	"fmt"
	"strings"
	"time"
)

// localLayouts are the local forms a window's ends may take.
var localLayouts = []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"}

// ParseTime reads an RFC 3339 time, or a local "YYYY-MM-DD[ HH:MM[:SS]]"
// in loc.
func ParseTime(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, l := range localLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time (RFC 3339, or YYYY-MM-DD[ HH:MM[:SS]] in the calendar's zone)", clip(s))
}

// ParseWindow reads "START/END" (see ParseTime) into a window.
func ParseWindow(s string, loc *time.Location) (Window, error) {
	a, b, ok := strings.Cut(s, "/")
	if !ok {
		return Window{}, fmt.Errorf("%q is not START/END", clip(s))
	}
	start, err := ParseTime(a, loc)
	if err != nil {
		return Window{}, fmt.Errorf("start: %w", err)
	}
	end, err := ParseTime(b, loc)
	if err != nil {
		return Window{}, fmt.Errorf("end: %w", err)
	}
	if !end.After(start) {
		return Window{}, fmt.Errorf("end %s is not after start %s", end.Format(time.RFC3339), start.Format(time.RFC3339))
	}
	return Window{Start: start.UTC(), End: end.UTC()}, nil
}
