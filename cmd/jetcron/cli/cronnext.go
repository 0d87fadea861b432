package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/jetcron/jetcron/pkg/calendar"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/schedule"
)

// cronNextWith is `cron next` with several specs or calendars: the slots
// are computed as a job's are (job.Schedule.Compile merges the specs, one
// slot per instant; calendar.Next applies the calendars).
func cronNextWith(c *cli.Context, loc *time.Location, from time.Time, n int, asJSON bool) error {
	sc := job.Schedule{TZ: c.String("tz")}
	for _, a := range c.Args().Slice() {
		sc.Schedules = append(sc.Schedules, job.ScheduleItem{Cron: a})
	}
	compiled, err := sc.Compile()
	if err != nil {
		return usageErr("%v", err)
	}
	names := c.StringSlice("skip-calendar")
	set := calendar.Set{}
	if len(names) > 0 {
		cl, err := newClient(c)
		if err != nil {
			return err
		}
		for _, name := range names {
			v, err := cl.GetCalendar(c.Context, name)
			if err != nil {
				return fmt.Errorf("--skip-calendar %s: %w", name, err)
			}
			m, err := v.Calendar.Compile()
			if err != nil {
				return fmt.Errorf("--skip-calendar %s: %w", name, err)
			}
			set[name] = m
		}
	}
	slots := calendar.Next(compiled, loc, from, n, set, names)
	if asJSON {
		return printJSON(c.App.Writer, map[string]any{"spec": c.Args().Slice(), "tz": loc.String(), "text": sc.Describe(),
			"skip_calendars": names, "next": calendar.Runs(slots), "slots": slots})
	}
	if len(slots) == 0 {
		return usageErr("%s never fires in the next %d years", strings.Join(c.Args().Slice(), " + "), schedule.HorizonYears)
	}
	fmt.Fprintln(c.App.ErrWriter, sc.Describe())
	for _, s := range slots {
		if s.Skipped != "" {
			fmt.Fprintf(c.App.Writer, "%s  skipped: %s\n", s.At, s.Skipped)
			continue
		}
		fmt.Fprintln(c.App.Writer, s.At)
	}
	return nil
}
