package job

import (
	"fmt"
	"strings"
	"time"

	"github.com/jetcron/jetcron/pkg/schedule"
)

// Limits of a job's several schedules and calendars.
const (
	// MaxSchedules bounds a schedule's extra specs (Schedule.Schedules).
	MaxSchedules = 32
	// MaxSkipCalendars bounds the calendars a job names.
	MaxSkipCalendars = 16
)

// ScheduleItem is one more cron or every spec of a job's schedule: the job
// fires on its main spec (if any) and on each item, one slot per instant
// (two specs hitting the same instant make one slot, with one execution
// ID). Items share the schedule's time zone and start and end bounds.
type ScheduleItem struct {
	// Cron is a 5- or 6-field cron spec or a descriptor.
	Cron string `json:"cron,omitempty" yaml:"cron,omitempty"`
	// Every is a fixed interval of at least one second, aligned to the
	// schedule's start when set, else to the Unix epoch.
	Every Duration `json:"every,omitempty" yaml:"every,omitempty"`
}

func (it ScheduleItem) kind() string {
	if it.Cron != "" {
		return "cron"
	}
	return "every"
}

func (it ScheduleItem) String() string {
	if it.Cron != "" {
		return "cron " + it.Cron
	}
	return "every " + it.Every.String()
}

// validateItems checks the extra specs of s.
func (s Schedule) validateItems(loc *time.Location) FieldErrors {
	var es FieldErrors
	if len(s.Schedules) > MaxSchedules {
		return append(es, Fieldf("schedule.schedules", "has %d specs; at most %d are allowed", len(s.Schedules), MaxSchedules))
	}
	for i, it := range s.Schedules {
		field := fmt.Sprintf("schedule.schedules[%d]", i)
		switch {
		case (it.Cron != "") == (it.Every != 0):
			es = append(es, Fieldf(field, "set exactly one of cron or every"))
		case it.Cron != "":
			c, err := schedule.ParseCron(it.Cron, loc)
			if err != nil {
				es = append(es, Fieldf(field+".cron", "%v", err))
				continue
			}
			if err := schedule.CheckFires(c, s.from()); err != nil {
				es = append(es, Fieldf(field+".cron", "%q %v", it.Cron, err))
			}
		case it.Every.D() < schedule.MinEvery:
			es = append(es, Fieldf(field+".every", "%s is shorter than the minimum of %s", it.Every, FormatDuration(schedule.MinEvery)))
		}
	}
	return es
}

// withItems returns main (nil when the schedule has only items) merged with
// the extra specs: the one schedule every reader of a job's slots compiles
// (the leader, the ledger, `cron next`, `job get`).
func (s Schedule) withItems(main schedule.Schedule, loc *time.Location) (schedule.Schedule, error) {
	if len(s.Schedules) == 0 {
		return main, nil
	}
	u := make(schedule.Union, 0, len(s.Schedules)+1)
	if main != nil {
		u = append(u, main)
	}
	for i, it := range s.Schedules {
		switch {
		case it.Cron != "" && it.Every == 0:
			c, err := schedule.ParseCron(it.Cron, loc)
			if err != nil {
				return nil, Fieldf(fmt.Sprintf("schedule.schedules[%d].cron", i), "%v", err)
			}
			u = append(u, c)
		case it.Every > 0 && it.Cron == "":
			e := schedule.Every{Interval: it.Every.D()}
			if s.Start != nil {
				e.Anchor = *s.Start
			}
			u = append(u, e)
		default:
			return nil, Fieldf(fmt.Sprintf("schedule.schedules[%d]", i), "set exactly one of cron or every")
		}
	}
	return u, nil
}

// itemsString appends the extra specs to the main spec's text: "cron 0 9
// * * * + every 1h".
func (s Schedule) itemsString(main string) string {
	parts := make([]string, 0, len(s.Schedules)+1)
	if main != "" {
		parts = append(parts, main)
	}
	for _, it := range s.Schedules {
		parts = append(parts, it.String())
	}
	return strings.Join(parts, " + ")
}

// describeItems says a schedule with several specs in words.
func (s Schedule) describeItems(main schedule.Schedule) string {
	var parts []string
	say := func(sc schedule.Schedule, raw string) {
		if d, ok := sc.(interface{ Describe() string }); ok {
			parts = append(parts, d.Describe())
		} else {
			parts = append(parts, raw)
		}
	}
	if main != nil {
		say(main, s.Cron)
	}
	loc := s.Location()
	for _, it := range s.Schedules {
		if it.Cron != "" {
			c, err := schedule.ParseCron(it.Cron, loc)
			if err != nil {
				parts = append(parts, it.Cron)
				continue
			}
			say(c, it.Cron)
			continue
		}
		say(schedule.Every{Interval: it.Every.D()}, it.String())
	}
	out := strings.Join(parts, "; and ")
	if s.TZ != "" && s.TZ != "UTC" {
		out += " (" + s.TZ + ")"
	}
	return out
}

// validateMulti checks what a job's several specs and calendars add to the
// rest of its definition.
func (s *Spec) validateMulti() FieldErrors {
	var es FieldErrors
	for i, it := range s.Schedule.Schedules {
		if it.Every > 0 && s.Jitter > 0 && s.Jitter >= it.Every {
			es = append(es, Fieldf("jitter", "%s must be shorter than the interval %s of schedule.schedules[%d]", s.Jitter, it.Every, i))
		}
	}
	es = append(es, s.Retention.validate()...)
	if len(s.SkipCalendars) > MaxSkipCalendars {
		return append(es, Fieldf("skip_calendars", "names %d calendars; at most %d are allowed", len(s.SkipCalendars), MaxSkipCalendars))
	}
	seen := map[string]bool{}
	for _, name := range s.SkipCalendars {
		if err := ValidateName(name); err != nil {
			es = append(es, Fieldf("skip_calendars", "%q %v", name, err))
			continue
		}
		if seen[name] {
			es = append(es, Fieldf("skip_calendars", "names %q twice", name))
		}
		seen[name] = true
	}
	return es
}
