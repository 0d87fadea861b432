package calendar

import (
	"fmt"
	"sort"
	"time"

	"github.com/jetcron/jetcron/pkg/schedule"
)

// Matcher answers "does this calendar exclude this instant" quickly.
type Matcher struct {
	name    string
	loc     *time.Location
	dates   map[string]bool
	annual  map[string]bool
	windows []Window // one-off, sorted by start
	yearly  []Window
	maxLen  time.Duration // the longest one-off window
}

// Compile returns c's matcher; c must be valid.
func (c Calendar) Compile() (*Matcher, error) {
	loc, err := schedule.LoadLocation(c.TZ)
	if err != nil {
		return nil, fmt.Errorf("calendar %s: tz: %w", c.Name, err)
	}
	m := &Matcher{name: c.Name, loc: loc, dates: map[string]bool{}, annual: map[string]bool{}}
	for _, d := range c.Dates {
		m.dates[d] = true
	}
	for _, d := range c.Annual {
		m.annual[d] = true
	}
	for _, w := range c.Windows {
		if w.Yearly {
			m.yearly = append(m.yearly, w)
			continue
		}
		m.windows = append(m.windows, w)
		m.maxLen = max(m.maxLen, w.End.Sub(w.Start))
	}
	sort.SliceStable(m.windows, func(i, j int) bool { return m.windows[i].Start.Before(m.windows[j].Start) })
	return m, nil
}

// Name returns the calendar's name.
func (m *Matcher) Name() string { return m.name }

// Excludes reports whether the calendar excludes t, and why ("2026-12-24",
// "window 2026-12-24T22:00:00+01:00/2026-12-25T02:00:00+01:00").
func (m *Matcher) Excludes(t time.Time) (string, bool) {
	local := t.In(m.loc)
	if d := local.Format(DateLayout); m.dates[d] {
		return d, true
	}
	if md := local.Format("01-02"); m.annual[md] {
		return "every " + md, true
	}
	// One-off windows: those starting at or before t, no longer ago than the
	// longest window.
	i := sort.Search(len(m.windows), func(i int) bool { return m.windows[i].Start.After(t) })
	for j := i - 1; j >= 0; j-- {
		w := m.windows[j]
		if t.Sub(w.Start) > m.maxLen {
			break
		}
		if t.Before(w.End) {
			return m.describe(w, w.Start, w.End), true
		}
	}
	for _, w := range m.yearly {
		for _, y := range []int{local.Year() - 1, local.Year()} {
			shift := y - w.Start.In(m.loc).Year()
			if shift < 0 {
				continue
			}
			s := w.Start.In(m.loc).AddDate(shift, 0, 0)
			e := s.Add(w.End.Sub(w.Start))
			if !t.Before(s) && t.Before(e) {
				return m.describe(w, s, e), true
			}
		}
	}
	return "", false
}

func (m *Matcher) describe(w Window, s, e time.Time) string {
	out := "window " + s.In(m.loc).Format(time.RFC3339) + "/" + e.In(m.loc).Format(time.RFC3339)
	if w.Summary != "" {
		out += " (" + w.Summary + ")"
	}
	return out
}

// Set is the calendars a reader knows, by name.
type Set map[string]*Matcher

// Skip reports whether one of the named calendars excludes t, with the
// reason a skipped slot records: "calendar holidays-de excludes 2026-12-24".
// A name the set does not hold excludes nothing. This is the one place
// that decides whether a calendar skips a job's slot.
func (s Set) Skip(names []string, t time.Time) (string, bool) {
	for _, n := range names {
		m := s[n]
		if m == nil {
			continue
		}
		if why, ok := m.Excludes(t); ok {
			return "calendar " + n + " excludes " + why, true
		}
	}
	return "", false
}

// Slot is a fire instant of a job with what its calendars say of it.
type Slot struct {
	// At is the instant, as RFC 3339 in the schedule's zone.
	At string `json:"at"`
	// Skipped says why a calendar skips the slot; empty when it runs.
	Skipped string `json:"skipped,omitempty"`
}

// MaxLookahead bounds the slots Next looks at to find n that run.
const MaxLookahead = 100_000

// Next returns the next n slots of sc after from that run, with the
// skipped ones between them; fewer when the schedule stops firing or
// MaxLookahead slots are looked at.
func Next(sc schedule.Schedule, loc *time.Location, from time.Time, n int, cals Set, names []string) []Slot {
	var out []Slot
	t := from
	for run, seen := 0, 0; run < n && seen < MaxLookahead; seen++ {
		t = sc.Next(t)
		if t.IsZero() {
			break
		}
		s := Slot{At: t.In(loc).Format(time.RFC3339)}
		if why, ok := cals.Skip(names, t); ok {
			s.Skipped = why
			if len(out) < 4*n { // a long exclusion shows its first slots only
				out = append(out, s)
			}
			continue
		}
		out = append(out, s)
		run++
	}
	return out
}

// Runs returns the instants of slots that run, as strings.
func Runs(slots []Slot) []string {
	out := []string{}
	for _, s := range slots {
		if s.Skipped == "" {
			out = append(out, s.At)
		}
	}
	return out
}
