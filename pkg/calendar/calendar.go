package calendar

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/schedule"
)

// Limits of a calendar's size.
const (
	MaxDates      = 5000
	MaxAnnual     = 366
	MaxWindows    = 5000
	MaxSummaryLen = 256
)

// DateLayout is how a calendar's dates are written.
const DateLayout = "2006-01-02"

// Calendar is a named set of exclusions: what `calendar get -o json` shows
// and the value stored under its name.
type Calendar struct {
	// Name identifies the calendar (the rules of a job name).
	Name string `json:"name" yaml:"name"`
	// Description is free text for people.
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
	// TZ is the IANA zone the dates are days in, and local window times are
	// read in. Defaults to UTC.
	TZ string `json:"tz,omitempty" yaml:"tz,omitempty"`
	// Dates are whole days, YYYY-MM-DD.
	Dates []string `json:"dates,omitempty" yaml:"dates,omitempty"`
	// Annual are whole days every year, MM-DD.
	Annual []string `json:"annual,omitempty" yaml:"annual,omitempty"`
	// Windows are maintenance windows, start included, end excluded.
	Windows []Window `json:"windows,omitempty" yaml:"windows,omitempty"`
	// CreatedAt and UpdatedAt are set by the API.
	CreatedAt time.Time `json:"created_at,omitzero" yaml:"-"`
	UpdatedAt time.Time `json:"updated_at,omitzero" yaml:"-"`
}

// Window is a span of time in which no slot runs: [Start, End).
type Window struct {
	Start time.Time `json:"start" yaml:"start"`
	End   time.Time `json:"end" yaml:"end"`
	// Yearly repeats the window every year (from an ICS RRULE FREQ=YEARLY).
	Yearly bool `json:"yearly,omitempty" yaml:"yearly,omitempty"`
	// Summary names the window for people (an ICS event's SUMMARY).
	Summary string `json:"summary,omitempty" yaml:"summary,omitempty"`
}

// Validate checks every field of c; the errors name the field
// (errors.Is(err, job.ErrInvalid) holds).
func (c *Calendar) Validate() error {
	var es job.FieldErrors
	add := func(field, format string, args ...any) { es = append(es, job.Fieldf(field, format, args...)) }
	if err := job.ValidateName(c.Name); err != nil {
		add("name", "%v", err)
	}
	if len(c.Description) > job.MaxDescriptionLen {
		add("description", "is %d bytes; at most %d are allowed", len(c.Description), job.MaxDescriptionLen)
	}
	if _, err := schedule.LoadLocation(c.TZ); err != nil {
		add("tz", "%v", err)
	}
	if len(c.Dates) > MaxDates {
		add("dates", "has %d dates; at most %d are allowed", len(c.Dates), MaxDates)
	} else {
		for _, d := range c.Dates {
			if _, err := time.Parse(DateLayout, d); err != nil {
				add("dates", "%q is not a date YYYY-MM-DD", d)
			}
		}
	}
	if len(c.Annual) > MaxAnnual {
		add("annual", "has %d days; at most %d are allowed", len(c.Annual), MaxAnnual)
	} else {
		for _, d := range c.Annual {
			if _, err := time.Parse("2006-"+"01-02", "2000-"+d); err != nil {
				add("annual", "%q is not a day of the year MM-DD", d)
			}
		}
	}
	if len(c.Windows) > MaxWindows {
		add("windows", "has %d windows; at most %d are allowed", len(c.Windows), MaxWindows)
	} else {
		for i, w := range c.Windows {
			field := fmt.Sprintf("windows[%d]", i)
			switch {
			case w.Start.IsZero() || w.End.IsZero():
				add(field, "needs a start and an end")
			case !w.End.After(w.Start):
				add(field+".end", "%s is not after start %s", w.End.Format(time.RFC3339), w.Start.Format(time.RFC3339))
			case w.Yearly && w.End.Sub(w.Start) > 366*24*time.Hour:
				add(field+".end", "a yearly window must be shorter than a year")
			}
			if len(w.Summary) > MaxSummaryLen {
				add(field+".summary", "is longer than %d bytes", MaxSummaryLen)
			}
		}
	}
	if len(c.Dates)+len(c.Annual)+len(c.Windows) == 0 {
		add("dates", "the calendar excludes nothing: give dates, windows or an ICS file")
	}
	if len(es) == 0 {
		return nil
	}
	return es
}

// Normalize validates c and returns it sorted and without duplicates.
func (c Calendar) Normalize() (Calendar, error) {
	if err := c.Validate(); err != nil {
		return c, err
	}
	c.Dates = sortedUnique(c.Dates)
	c.Annual = sortedUnique(c.Annual)
	c.Windows = slices.Clone(c.Windows)
	for i := range c.Windows {
		c.Windows[i].Start, c.Windows[i].End = c.Windows[i].Start.UTC(), c.Windows[i].End.UTC()
	}
	slices.SortStableFunc(c.Windows, func(a, b Window) int { return a.Start.Compare(b.Start) })
	return c, nil
}

func sortedUnique(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

// Summary says in a few words what c excludes: "2 dates, 1 window".
func (c Calendar) Summary() string {
	var parts []string
	plural := func(n int, what string) {
		if n == 0 {
			return
		}
		if n == 1 {
			parts = append(parts, "1 "+what)
			return
		}
		parts = append(parts, fmt.Sprintf("%d %ss", n, what))
	}
	plural(len(c.Dates), "date")
	plural(len(c.Annual), "yearly date")
	plural(len(c.Windows), "window")
	return strings.Join(parts, ", ")
}
