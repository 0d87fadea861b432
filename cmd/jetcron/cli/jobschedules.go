package cli

import (
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/jetcron/jetcron/pkg/job"
)

// multiString is a repeatable string flag that, unlike cli.StringSliceFlag,
// never splits a value on commas (a cron spec has them: "0 9 * * 1,3,5").
type multiString struct{ vals []string }

func (m *multiString) Set(v string) error { m.vals = append(m.vals, v); return nil }
func (m *multiString) String() string {
	if m == nil {
		return ""
	}
	return strings.Join(m.vals, " | ")
}

// multiValues returns the values a repeatable flag was given.
func multiValues(c *cli.Context, name string) []string {
	if m, ok := c.Generic(name).(*multiString); ok && m != nil {
		return m.vals
	}
	return nil
}

// scheduleFlags are the repeatable schedule flags of `job create`.
func scheduleFlags() []cli.Flag {
	return []cli.Flag{
		&cli.GenericFlag{Name: "cron", Value: &multiString{}, Usage: "cron spec: 5 fields, 6 with seconds, or @hourly/@daily/... (repeatable: fires on any)"},
		&cli.GenericFlag{Name: "every", Value: &multiString{}, Usage: "fixed interval, at least 1s (e.g. 30s, 5m, 1h30m; repeatable)"},
		&cli.StringSliceFlag{Name: "skip-calendar", Usage: "name of a calendar whose dates and windows skip the job's slots (repeatable)"},
		&cli.StringFlag{Name: "keep-logs", Usage: "delete the logs of successful runs this long after they are stored (e.g. 7d; by `jetcron admin prune-logs`)"},
		&cli.StringFlag{Name: "keep-failed-logs", Usage: "the same for runs that did not succeed (default --keep-logs; never shorter)"},
		&cli.IntFlag{Name: "keep-executions", Usage: "keep the history (events) of at most the newest N finished runs that did not fail; the leader deletes older ones, never within an hour of their end"},
		&cli.IntFlag{Name: "keep-failed-executions", Usage: "the same for failed, timed-out, cancelled and missed runs (default --keep-executions; never fewer)"},
		&cli.StringFlag{Name: "keep-history", Usage: "delete the history of finished runs that did not fail this long after they ended (e.g. 30d)"},
		&cli.StringFlag{Name: "keep-failed-history", Usage: "the same for runs that failed (default --keep-history; never shorter)"},
	}
}

// setSchedules fills the cron and every specs of spec from the flags: one
// spec goes in schedule.cron or schedule.every, several in
// schedule.schedules; and the calendars the job skips.
func setSchedules(c *cli.Context, spec *job.Spec) error {
	crons, everys := multiValues(c, "cron"), multiValues(c, "every")
	var items []job.ScheduleItem
	for _, s := range crons {
		items = append(items, job.ScheduleItem{Cron: s})
	}
	for _, s := range everys {
		d, err := durationFlag(s, "schedule.every")
		if err != nil {
			return err
		}
		if d == 0 {
			return job.Fieldf("schedule.every", "0 is not an interval; give at least 1s")
		}
		items = append(items, job.ScheduleItem{Every: d})
	}
	switch len(items) {
	case 0:
	case 1:
		spec.Schedule.Cron, spec.Schedule.Every = items[0].Cron, items[0].Every
	default:
		spec.Schedule.Schedules = items
	}
	spec.SkipCalendars = c.StringSlice("skip-calendar")
	var r job.Retention
	var err error
	if r.Logs, err = durationFlag(c.String("keep-logs"), "retention.logs"); err != nil {
		return err
	}
	if r.FailedLogs, err = durationFlag(c.String("keep-failed-logs"), "retention.failed_logs"); err != nil {
		return err
	}
	r.Executions, r.FailedExecutions = c.Int("keep-executions"), c.Int("keep-failed-executions")
	if r.History, err = durationFlag(c.String("keep-history"), "retention.history"); err != nil {
		return err
	}
	if r.FailedHistory, err = durationFlag(c.String("keep-failed-history"), "retention.failed_history"); err != nil {
		return err
	}
	if r != (job.Retention{}) {
		spec.Retention = &r
	}
	return nil
}
