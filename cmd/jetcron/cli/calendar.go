package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/calendar"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/schedule"
)

func calendarCommand() *cli.Command {
	return &cli.Command{
		Name:  "calendar",
		Usage: "exclusion calendars: dates and maintenance windows in which a job's slots are skipped",
		Subcommands: []*cli.Command{
			{
				Name: "create", Usage: "create a calendar (or replace it with --update)", ArgsUsage: "NAME",
				Description: "Examples:\n" +
					"   jetcron calendar create holidays-de --dates 2026-12-24,2026-12-25 --tz Europe/Berlin\n" +
					"   jetcron calendar create holidays-de --ics feiertage.ics --tz Europe/Berlin --update\n" +
					"   jetcron calendar create maint --window '2026-12-05 22:00/2026-12-06 02:00' --tz Europe/Berlin",
				Flags: []cli.Flag{
					&cli.StringSliceFlag{Name: "dates", Usage: "whole days YYYY-MM-DD, comma-separated (repeatable)"},
					&cli.StringSliceFlag{Name: "annual", Usage: "whole days every year MM-DD, comma-separated (repeatable)"},
					&cli.GenericFlag{Name: "window", Value: &multiString{}, Usage: "maintenance window START/END: RFC 3339 or YYYY-MM-DD HH:MM in --tz (repeatable)"},
					&cli.StringFlag{Name: "ics", Usage: "iCalendar file: all-day events exclude their days, timed events their span (RRULE yearly repeats)"},
					&cli.StringFlag{Name: "tz", Usage: "IANA time zone of the dates and local times (default UTC)"},
					&cli.StringFlag{Name: "description", Usage: "free text"},
					&cli.BoolFlag{Name: "update", Usage: "replace the calendar if it exists"},
					outputFlag,
				},
				Action: calendarCreate,
			},
			{
				Name: "get", Usage: "show a calendar and the jobs that skip it", ArgsUsage: "NAME",
				Flags:  []cli.Flag{outputFlag},
				Action: showAction(oneName, getCalendar, printCalendar),
			},
			{
				Name: "list", Aliases: []string{"ls"}, Usage: "list calendars",
				Flags:  []cli.Flag{outputFlag},
				Action: showAction(anyArgs, listCalendars, printCalendars),
			},
			{
				Name: "delete", Aliases: []string{"rm"}, Usage: "delete a calendar no job names", ArgsUsage: "NAME",
				Action: doAction(oneName, deleteCalendar),
			},
		},
	}
}

// calendarFromFlags builds a calendar from the create flags.
func calendarFromFlags(c *cli.Context, name string) (calendar.Calendar, error) {
	cal := calendar.Calendar{Name: name, TZ: c.String("tz"), Description: c.String("description")}
	loc, err := schedule.LoadLocation(cal.TZ)
	if err != nil {
		return cal, job.Fieldf("tz", "%v", err)
	}
	cal.Dates = splitList(c.StringSlice("dates"))
	cal.Annual = splitList(c.StringSlice("annual"))
	for _, s := range multiValues(c, "window") {
		w, err := calendar.ParseWindow(s, loc)
		if err != nil {
			return cal, job.Fieldf("windows", "--window %v", err)
		}
		cal.Windows = append(cal.Windows, w)
	}
	if path := c.String("ics"); path != "" {
		st, err := os.Stat(path)
		if err != nil {
			return cal, usageErr("--ics: %v", err)
		}
		if st.Size() > calendar.MaxICSBytes {
			return cal, usageErr("--ics: %s is %d bytes; at most %d are read", path, st.Size(), calendar.MaxICSBytes)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return cal, usageErr("--ics: %v", err)
		}
		d, a, w, err := calendar.ParseICS(data, loc)
		if err != nil {
			return cal, usageErr("--ics %s: %v", path, err)
		}
		cal.Dates, cal.Annual, cal.Windows = append(cal.Dates, d...), append(cal.Annual, a...), append(cal.Windows, w...)
	}
	return cal, nil
}

func splitList(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func calendarCreate(c *cli.Context) error {
	if c.NArg() != 1 {
		return usageErr("calendar create: expected one NAME")
	}
	asJSON, err := wantJSON(c)
	if err != nil {
		return err
	}
	cal, err := calendarFromFlags(c, c.Args().First())
	if err != nil {
		return err
	}
	if err := cal.Validate(); err != nil {
		return err
	}
	cl, err := newClient(c)
	if err != nil {
		return err
	}
	var opts []client.CalendarOption
	if c.Bool("update") {
		opts = append(opts, client.CalendarUpdate())
	}
	resp, err := cl.CreateCalendar(c.Context, cal, opts...)
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(c.App.Writer, resp)
	}
	fmt.Fprintf(c.App.Writer, "calendar %s %s (%s)\n", cal.Name, resp.Result, resp.Calendar.Text)
	return nil
}

func getCalendar(c *cli.Context, cl *client.Client, name string) (api.CalendarView, error) {
	return cl.GetCalendar(c.Context, name)
}

func listCalendars(c *cli.Context, cl *client.Client, _ struct{}) ([]api.CalendarView, error) {
	return cl.ListCalendars(c.Context)
}

func deleteCalendar(c *cli.Context, cl *client.Client, name string) error {
	if err := cl.DeleteCalendar(c.Context, name); err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "calendar %s deleted\n", name)
	return nil
}

func printCalendar(c *cli.Context, v api.CalendarView) error {
	t := newTable(c.App.Writer, "FIELD", "VALUE")
	t.row("name", v.Name)
	t.row("tz", orDash(v.TZ))
	if v.Description != "" {
		t.row("description", v.Description)
	}
	t.row("excludes", orDash(v.Text))
	for i, d := range v.Dates {
		t.row(firstLabel(i, "dates"), d)
	}
	for i, d := range v.Annual {
		t.row(firstLabel(i, "every year"), d)
	}
	loc, _ := schedule.LoadLocation(v.TZ)
	for i, w := range v.Windows {
		text := w.Start.In(loc).Format("2006-01-02T15:04:05Z07:00") + " / " + w.End.In(loc).Format("2006-01-02T15:04:05Z07:00")
		if w.Yearly {
			text += " (every year)"
		}
		if w.Summary != "" {
			text += "  " + w.Summary
		}
		t.row(firstLabel(i, "windows"), text)
	}
	t.row("used by", orDash(strings.Join(v.UsedBy, ", ")))
	t.row("revision", fmt.Sprint(v.Revision))
	t.flush()
	return nil
}

func firstLabel(i int, label string) string {
	if i == 0 {
		return label
	}
	return ""
}

func printCalendars(c *cli.Context, vs []api.CalendarView) error {
	t := newTable(c.App.Writer, "NAME", "TZ", "EXCLUDES", "USED BY")
	for _, v := range vs {
		t.row(v.Name, orDash(v.TZ), orDash(v.Text), orDash(strings.Join(v.UsedBy, ", ")))
	}
	t.flush()
	return nil
}

// printNext adds a job's next fire times to its table, with the slots its
// calendars skip between them.
func printNext(t *table, v api.JobView) {
	if len(v.SkipCalendars) > 0 {
		t.row("skip calendars", strings.Join(v.SkipCalendars, ", "))
	}
	for i, n := range v.Next {
		t.row(firstLabel(i, "next"), n)
	}
	for i, s := range v.NextSkipped {
		t.row(firstLabel(i, "skipped"), s.At+"  "+s.Skipped)
	}
}
