package cli

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/jetcron/jetcron/pkg/schedule"
)

func cronCommand() *cli.Command {
	return &cli.Command{
		Name:  "cron",
		Usage: "check schedules without creating a job",
		Subcommands: []*cli.Command{{
			Name: "next", Usage: "print the next fire times of a cron spec (several SPECs: of all, one per instant)", ArgsUsage: "SPEC...",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "tz", Usage: "IANA time zone (default UTC)"},
				&cli.StringFlag{Name: "from", Usage: "start after this time (default now)"},
				&cli.IntFlag{Name: "n", Value: 5, Usage: "how many"},
				&cli.StringSliceFlag{Name: "skip-calendar", Usage: "skip the slots this calendar excludes, as a job naming it would (repeatable; asks the API)"},
				outputFlag,
			},
			Action: cronNext,
		}},
	}
}

func cronNext(c *cli.Context) error {
	if c.NArg() < 1 {
		return usageErr("cron next: expected a SPEC (quote it: \"*/15 * * * *\")")
	}
	asJSON, err := wantJSON(c)
	if err != nil {
		return err
	}
	loc, err := schedule.LoadLocation(c.String("tz"))
	if err != nil {
		return usageErr("--tz: %v", err)
	}
	spec, err := schedule.ParseCron(c.Args().First(), loc)
	if err != nil {
		return usageErr("%v", err)
	}
	from := time.Now()
	if s := c.String("from"); s != "" {
		if from, err = parseTime(s, loc); err != nil {
			return usageErr("--from: %v", err)
		}
	}
	n := c.Int("n")
	if n < 1 || n > 1000 {
		return usageErr("-n: %d is not in 1-1000", n)
	}
	if c.NArg() > 1 || len(c.StringSlice("skip-calendar")) > 0 {
		return cronNextWith(c, loc, from, n, asJSON)
	}
	out := schedule.NextTimes(spec, loc, from, n)
	if asJSON {
		return printJSON(c.App.Writer, map[string]any{"spec": spec.String(), "tz": loc.String(), "text": spec.Describe(), "next": out})
	}
	if len(out) == 0 {
		return usageErr("%q never fires in the next %d years", spec.String(), schedule.HorizonYears)
	}
	fmt.Fprintf(c.App.ErrWriter, "%s: %s (%s)\n", spec.String(), spec.Describe(), loc)
	for _, s := range out {
		fmt.Fprintln(c.App.Writer, s)
	}
	return nil
}
